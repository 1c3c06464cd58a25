// Operators on values: arithmetic, comparison, membership, indexing, slicing, casts and
// text formatting helpers shared by the evaluator and the builtin methods.
#pragma once

#include <string>

#include "interp.h"

namespace spl {

Value binary_op(Interp& in, Op op, const Value& a, const Value& b, const Node* at);
Value unary_op(Interp& in, Op op, const Value& a, const Node* at);
bool less_than(Interp& in, const Value& a, const Value& b, const Node* at);
// a <= b: as numbers (a NaN is not <= anything), else not (b < a).
bool less_equal(Interp& in, const Value& a, const Value& b, const Node* at);
bool contains(Interp& in, const Value& container, const Value& item, const Node* at);
Value index_get(Interp& in, const Value& obj, const Value& idx, const Node* at);
void index_set(Interp& in, const Value& obj, const Value& idx, Value v, const Node* at);
Value slice(Interp& in, const Value& obj, const Value& start, const Value& end, const Value& step,
            const Node* at);
Value cast_to(Interp& in, const Value& v, Sym type, const Node* at);

// UTF-8 helpers: text is indexed by code point.
bool is_ascii(std::string_view s);
size_t utf8_length(std::string_view s);
std::vector<std::string> utf8_chars(std::string_view s);
std::string utf8_substr(std::string_view s, int64_t start,
                        int64_t end);      // code points [start,end)
int64_t norm_index(int64_t i, int64_t n);  // negative from the end

}  // namespace spl
