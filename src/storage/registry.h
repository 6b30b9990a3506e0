// Storage addresses: turn a user's storage address into a Backend.
//
// Contract
// - An address is a plain path (absolute or relative), "file:///abs/path",
//   "mem:" (a fresh, empty in-memory backend) or "<scheme>://..." for a
//   provider. Each provider is one line in the registry list in registry.cc.
// - Opening never touches the network or the disk beyond resolving a relative
//   path; call Backend::Create() to prepare the location.
// - Errors: InvalidArgument for a malformed address or an unknown scheme.
//   Messages pass addresses through RedactUrl first.
#pragma once

#include <memory>
#include <string>

#include "base/result.h"
#include "storage/backend.h"
#include "storage/redact.h"

namespace custos {

Result<std::unique_ptr<Backend>> OpenBackend(const std::string& url);

// RedactUrl (storage/redact.h) removes secrets from an address for logs.

}  // namespace custos
