// CURVE key pairs for the coordinator and its clients, and the files that hold them.
//
// Keys are Z85 text (40 characters), as ZeroMQ prints them. A key pair lives in two files:
//   <dir>/<name>.pub     the public key, one line; safe to copy to other machines
//   <dir>/<name>.secret  "public <key>\nsecret <key>\n", mode 0600
// Reading a secret file that group or others may read is refused, as ssh refuses private keys.
// An allow-list ("authorized keys") file has one public key per line, optionally followed by a
// name; blank lines and comment lines starting with '#' (that are not a key) are ignored.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace mdetr::transport {

struct CurveKeyPair {
  std::string public_key;  // Z85, 40 characters
  std::string secret_key;  // Z85, 40 characters
};

// A fresh key pair from libsodium through zmq_curve_keypair. Fails if ZeroMQ was built without CURVE.
Result<CurveKeyPair> GenerateCurveKeyPair();

// True for 40 characters of the Z85 alphabet.
bool IsZ85Key(const std::string& key);

// Writes <dir>/<name>.pub and <dir>/<name>.secret (created with mode 0600). Refuses to replace
// existing files unless `overwrite`.
Status WriteCurveKeyPair(const std::string& dir, const std::string& name, const CurveKeyPair& keys,
                         bool overwrite = false);

// Reads a .secret file written by WriteCurveKeyPair, checking its mode and both keys.
Result<CurveKeyPair> ReadCurveKeyPair(const std::string& secret_path);

// Reads a .pub file (or any file whose first non-comment line starts with a key).
Result<std::string> ReadCurvePublicKey(const std::string& path);

// Reads an allow-list file; every key must be valid, errors name the file and line.
Result<std::vector<std::string>> ReadAuthorizedKeys(const std::string& path);

}  // namespace mdetr::transport
