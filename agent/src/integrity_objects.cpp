#include "agent/integrity_objects.hpp"

#include <sys/stat.h>

#include <fstream>

#include "integrity/measure.hpp"

namespace agent {

namespace {

// A name as one path segment: hex of its bytes, so "a/b" and "a_b" never share a copy.
std::string segment(const std::string& name) {
    return base::toHex(base::asBytes(name));
}

void makePrivateDir(const std::filesystem::path& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
        throw IntegrityObjectError("cannot create '" + dir.string() + "': " + ec.message());
    }
    ::chmod(dir.c_str(), 0700);
}

void copyWhole(const std::filesystem::path& from, const std::filesystem::path& to) {
    const std::filesystem::path temporary = to.string() + ".tmp";
    std::error_code ec;
    std::filesystem::copy_file(from, temporary, std::filesystem::copy_options::overwrite_existing,
                               ec);
    if (!ec) {
        std::filesystem::rename(temporary, to, ec);
    }
    if (ec) {
        std::filesystem::remove(temporary);
        throw IntegrityObjectError("cannot copy '" + from.string() + "' to '" + to.string() +
                                   "': " + ec.message());
    }
}

}  // namespace

std::filesystem::path objectPath(const ObjectPaths& paths, const std::string& name) {
    if (name == "@agent") {
        return paths.agentExecutable;
    }
    if (name == "@config") {
        return paths.configFile;
    }
    const std::filesystem::path relative(name);
    // One spelling per file: no empty segment, so that "a//b" and "a/b" are not two objects.
    bool safe = !name.empty() && relative.is_relative() && name.front() != '@' &&
                name.find("//") == std::string::npos && name.back() != '/';
    for (const auto& part : relative) {
        safe = safe && !part.empty() && part != ".." && part != ".";
    }
    if (!safe) {
        throw IntegrityObjectError("manifest object '" + name +
                                   "' is not a path inside the integrity root");
    }
    return paths.root / relative;
}

std::vector<MeasuredObject> measureObjects(const integrity::Manifest& manifest,
                                           const ObjectPaths& paths) {
    std::vector<MeasuredObject> out;
    out.reserve(manifest.objects.size());
    for (const integrity::ManifestObject& object : manifest.objects) {
        MeasuredObject m{object.name, objectPath(paths, object.name), std::nullopt};
        if (!m.path.empty()) {
            m.sha256 = integrity::sha256OfFile(m.path);
        }
        out.push_back(std::move(m));
    }
    return out;
}

RecoveryStore::RecoveryStore(std::filesystem::path dir) : dir_(std::move(dir)) {}

std::filesystem::path RecoveryStore::knownGoodPath(const std::string& name) const {
    return dir_ / "known-good" / segment(name);
}

std::filesystem::path RecoveryStore::quarantinePath(const std::string& name) const {
    return dir_ / "quarantine" / segment(name);
}

void RecoveryStore::keepKnownGood(const std::string& name, const std::filesystem::path& file,
                                  base::ByteView sha256) {
    const std::filesystem::path copy = knownGoodPath(name);
    const auto held = integrity::sha256OfFile(copy);
    if (held && std::equal(held->begin(), held->end(), sha256.begin(), sha256.end())) {
        return;
    }
    makePrivateDir(copy.parent_path());
    copyWhole(file, copy);
}

bool RecoveryStore::quarantine(const std::string& name, const std::filesystem::path& file) {
    if (!std::filesystem::exists(std::filesystem::symlink_status(file))) {
        return false;
    }
    const std::filesystem::path to = quarantinePath(name);
    makePrivateDir(to.parent_path());
    std::error_code ec;
    std::filesystem::rename(file, to, ec);
    if (ec) {  // another file system: copy, then remove
        copyWhole(file, to);
        std::filesystem::remove(file, ec);
        if (ec) {
            throw IntegrityObjectError("cannot remove '" + file.string() + "': " + ec.message());
        }
    }
    return true;
}

bool RecoveryStore::rollback(const std::string& name, const std::filesystem::path& file,
                             base::ByteView reference) {
    const std::filesystem::path copy = knownGoodPath(name);
    const auto held = integrity::sha256OfFile(copy);
    if (!held || !std::equal(held->begin(), held->end(), reference.begin(), reference.end())) {
        return false;
    }
    copyWhole(copy, file);
    return true;
}

void RecoveryStore::replaceFile(const std::filesystem::path& file, base::ByteView content) {
    const std::filesystem::path temporary = file.string() + ".tmp";
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(content.data()),
                  static_cast<std::streamsize>(content.size()));
        if (!out) {
            throw IntegrityObjectError("cannot write '" + temporary.string() + "'");
        }
    }
    std::error_code ec;
    std::filesystem::rename(temporary, file, ec);
    if (ec) {
        std::filesystem::remove(temporary);
        throw IntegrityObjectError("cannot replace '" + file.string() + "': " + ec.message());
    }
}

}  // namespace agent
