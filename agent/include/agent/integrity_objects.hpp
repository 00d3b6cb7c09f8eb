// The files integrity validation measures and the recovery actions that act on them (security
// profile §7.3.4): where a manifest name points, its streamed SHA-256, and the device's copies
// under state_dir/integrity: known-good/ (the last copy that passed, for rollback) and
// quarantine/ (objects taken out of use).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "integrity/manifest.hpp"

namespace agent {

// A manifest name the agent will not act on (absolute, "..", empty segments), or a file
// operation of a recovery action that failed.
class IntegrityObjectError : public base::Error {
public:
    using base::Error::Error;
};

// Where "@agent", "@config" and the root-relative names point.
struct ObjectPaths {
    std::filesystem::path root;
    std::filesystem::path configFile;  // "@config"; empty: absent
    std::filesystem::path agentExecutable = "/proc/self/exe";
};

// The file a manifest name means. Names other than @agent/@config are relative to the root and
// may not leave it (IntegrityObjectError).
std::filesystem::path objectPath(const ObjectPaths& paths, const std::string& name);

struct MeasuredObject {
    std::string name;
    std::filesystem::path path;
    std::optional<base::Bytes> sha256;  // nullopt: absent or unreadable
};

// Every object of `manifest`, in its order (the IV-SED's indexes).
std::vector<MeasuredObject> measureObjects(const integrity::Manifest& manifest,
                                           const ObjectPaths& paths);

class RecoveryStore {
public:
    // `dir` is state_dir/integrity; created on first use (0700).
    explicit RecoveryStore(std::filesystem::path dir);

    // After a pass: keeps `file` (which measured `sha256`) as the object's known-good copy,
    // unless the copy held already has that digest.
    void keepKnownGood(const std::string& name, const std::filesystem::path& file,
                       base::ByteView sha256);
    // Moves `file` into quarantine/; false when there was nothing to move.
    bool quarantine(const std::string& name, const std::filesystem::path& file);
    // Puts the known-good copy back in place of `file` when its digest is `reference`: true when
    // restored; false when there is no copy or it is not the reference (the file is left alone).
    bool rollback(const std::string& name, const std::filesystem::path& file,
                  base::ByteView reference);
    // Replaces `file` with `content` whole (temporary file and rename), e.g. a remediation
    // object whose digest the caller checked.
    static void replaceFile(const std::filesystem::path& file, base::ByteView content);

    [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }
    [[nodiscard]] std::filesystem::path knownGoodPath(const std::string& name) const;
    [[nodiscard]] std::filesystem::path quarantinePath(const std::string& name) const;

private:
    std::filesystem::path dir_;
};

}  // namespace agent
