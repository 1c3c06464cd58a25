// Iteration shared by the two engines: the state `for x in v` keeps (three Values: the
// iterable and two cursors) over ranges, arrays, tuples, text characters, dict pairs, native
// iterators and objects with a `next()` method; and native iterators, objects whose next item
// comes from C++ (enumerate(), the file module's line cursor) without a Simple-level call.
// No loop bodies here: the VM (FORPREP/FORNEXT) and the tree walker run those.
#pragma once

#include "interp.h"
#include "value.h"

namespace spl {

// Starts iterating over r[0] (r[1], r[2] are the cursors; r[0] may be replaced by a snapshot,
// e.g. a text's characters). Raises "cannot iterate over T" for anything else.
void iter_prep(Interp& in, Value* r);
// The next item into *out; false when the iteration is done.
bool iter_next(Interp& in, Value* r, Value* out);

// (NativeIter, the native iterator object, is declared in value.h.)

// `v.enumerate(start = 0)` for anything iterable: (index, item) pairs.
Value make_enumerate(Interp& in, const Value& iterable, int64_t start);

// The methods of native iterators (next, collect, enumerate) and the universal enumerate().
void install_iter_methods(Interp& in);

}  // namespace spl
