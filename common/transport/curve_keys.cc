#include "common/transport/curve_keys.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

namespace mdetr::transport {
namespace {

constexpr size_t kZ85KeyLength = 40;
constexpr char kZ85Alphabet[] =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

std::string Trim(const std::string& text) {
  const size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return "";
  const size_t end = text.find_last_not_of(" \t\r\n");
  return text.substr(begin, end - begin + 1);
}

// Writes `content` to `path` with `mode`, created exclusively unless `overwrite`.
Status WriteFileWithMode(const std::string& path, const std::string& content, mode_t mode, bool overwrite) {
  const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (overwrite ? O_TRUNC : O_EXCL);
  const int fd = ::open(path.c_str(), flags, mode);
  if (fd < 0) {
    if (errno == EEXIST) return AlreadyExistsError(path + ": already exists; refusing to replace a key");
    return UnavailableError(path + ": cannot create: " + std::strerror(errno));
  }
  // The umask may only have removed bits, but an existing file keeps its old mode: set it.
  Status status;
  if (::fchmod(fd, mode) != 0) status = UnavailableError(path + ": chmod: " + std::strerror(errno));
  size_t written = 0;
  while (status.ok() && written < content.size()) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      status = UnavailableError(path + ": write: " + std::strerror(errno));
    else
      written += static_cast<size_t>(n);
  }
  if (status.ok() && ::fsync(fd) != 0) status = UnavailableError(path + ": fsync: " + std::strerror(errno));
  ::close(fd);
  return status;
}

Result<std::string> ReadSmallFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError(path + ": cannot open: " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().size() > 64 * 1024) return InvalidArgumentError(path + ": too large for a key file");
  return text.str();
}

}  // namespace

bool IsZ85Key(const std::string& key) {
  if (key.size() != kZ85KeyLength) return false;
  for (char c : key) {
    if (std::strchr(kZ85Alphabet, c) == nullptr || c == '\0') return false;
  }
  return true;
}

Result<CurveKeyPair> GenerateCurveKeyPair() {
  char public_key[kZ85KeyLength + 1] = {};
  char secret_key[kZ85KeyLength + 1] = {};
  if (zmq_curve_keypair(public_key, secret_key) != 0) {
    return UnimplementedError(
        std::string("cannot generate a CURVE key pair (ZeroMQ built without libsodium?): ") +
        zmq_strerror(zmq_errno()));
  }
  return CurveKeyPair{public_key, secret_key};
}

Status WriteCurveKeyPair(const std::string& dir, const std::string& name, const CurveKeyPair& keys,
                         bool overwrite) {
  if (!IsZ85Key(keys.public_key) || !IsZ85Key(keys.secret_key)) {
    return InvalidArgumentError("key pair '" + name + "': keys must be 40 Z85 characters");
  }
  const std::string base = dir + "/" + name;
  MDETR_RETURN_IF_ERROR(WriteFileWithMode(
      base + ".secret", "public " + keys.public_key + "\nsecret " + keys.secret_key + "\n", 0600, overwrite));
  return WriteFileWithMode(base + ".pub", keys.public_key + "\n", 0644, overwrite);
}

Result<CurveKeyPair> ReadCurveKeyPair(const std::string& secret_path) {
  struct stat info {};
  if (::stat(secret_path.c_str(), &info) != 0) {
    return NotFoundError(secret_path + ": cannot read secret key: " + std::strerror(errno));
  }
  if ((info.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(info.st_mode & 07777));
    return FailedPreconditionError(secret_path + ": secret key file has mode " + mode +
                                   "; it must be readable by its owner only (chmod 600)");
  }
  MDETR_ASSIGN_OR_RETURN(std::string text, ReadSmallFile(secret_path));
  CurveKeyPair keys;
  std::istringstream lines(text);
  std::string line;
  int number = 0;
  while (std::getline(lines, line)) {
    ++number;
    line = Trim(line);
    if (line.empty() || line[0] == '#') continue;
    std::istringstream words(line);
    std::string field, key;
    words >> field >> key;
    if (field != "public" && field != "secret") {
      return InvalidArgumentError(secret_path + ":" + std::to_string(number) +
                                  ": expected 'public <key>' or 'secret <key>'");
    }
    if (!IsZ85Key(key)) {
      return InvalidArgumentError(secret_path + ":" + std::to_string(number) + ": " + field +
                                  " key must be 40 Z85 characters");
    }
    (field == "public" ? keys.public_key : keys.secret_key) = key;
  }
  if (keys.public_key.empty() || keys.secret_key.empty()) {
    return InvalidArgumentError(secret_path + ": expected both a 'public' and a 'secret' line");
  }
  // A pair whose halves do not belong together fails the handshake much later and obscurely.
  char derived[kZ85KeyLength + 1] = {};
  if (zmq_curve_public(derived, keys.secret_key.c_str()) != 0 || keys.public_key != derived) {
    return InvalidArgumentError(secret_path + ": the public key does not belong to the secret key");
  }
  return keys;
}

Result<std::string> ReadCurvePublicKey(const std::string& path) {
  MDETR_ASSIGN_OR_RETURN(std::vector<std::string> keys, ReadAuthorizedKeys(path));
  if (keys.empty()) return InvalidArgumentError(path + ": no public key in the file");
  return keys.front();
}

Result<std::vector<std::string>> ReadAuthorizedKeys(const std::string& path) {
  MDETR_ASSIGN_OR_RETURN(std::string text, ReadSmallFile(path));
  std::vector<std::string> keys;
  std::istringstream lines(text);
  std::string line;
  int number = 0;
  while (std::getline(lines, line)) {
    ++number;
    line = Trim(line);
    std::string key = line.substr(0, line.find_first_of(" \t"));
    // '#' is also a Z85 character, so a line is a comment only if it does not start with a key.
    if (line.empty() || (line[0] == '#' && !IsZ85Key(key))) continue;
    if (!IsZ85Key(key)) {
      return InvalidArgumentError(path + ":" + std::to_string(number) +
                                  ": expected a 40-character Z85 public key, got '" + key + "'");
    }
    keys.push_back(std::move(key));
  }
  return keys;
}

}  // namespace mdetr::transport
