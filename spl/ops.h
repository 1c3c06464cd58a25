// Operators on values: arithmetic, comparison, membership, indexing, slicing, casts and
// text formatting helpers shared by the evaluator and the builtin methods.
#pragma once

#include <string>

#include "interp.h"
#include "utf8.h"  // (text helpers the operators and methods share)

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

int64_t norm_index(int64_t i, int64_t n);  // negative from the end

}  // namespace spl
