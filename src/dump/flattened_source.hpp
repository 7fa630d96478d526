// The flattened (makedumpfile -F) format: a stream of (offset, size) records indexed in place.
#pragma once

#include <memory>

#include "kdx/dump/byte_source.hpp"

namespace kdx::dump {

// True when src starts with the flattened header ("makedumpfile", type 1, version 1).
bool is_flattened(const ByteSource& src);
// Indexes the records of a flattened file so that the reassembled file can be read without
// copying it. Fails (naming the record index and its file offset) on a record with a
// negative offset or size, one reaching past 2^63, or one cut short by the end of the file.
Result<std::shared_ptr<ByteSource>> open_flattened(std::shared_ptr<ByteSource> raw);

}  // namespace kdx::dump
