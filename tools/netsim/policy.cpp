// `m2m-netsim policy` and `policy-key`: the NSCL's integrity policy for a node (its reference
// manifest, the verdict when a report fails, what partial access allows, a remediation order),
// and the public half of the key that signs its decisions.
#include <fstream>
#include <iostream>
#include <iterator>

#include "admin_support.hpp"
#include "commands.hpp"
#include "integrity/manifest.hpp"
#include "policy_key.hpp"

namespace netsim {

namespace {

// Remediation objects are served in one mId answer; a manifest is small (FORMATS.md §2).
constexpr std::uintmax_t kMaxObjectBytes = 1024 * 1024;

base::Bytes readFile(const std::filesystem::path& path, std::uintmax_t limit) {
    if (!std::filesystem::is_regular_file(path)) {
        throw std::invalid_argument(path.string() + " is not a file");
    }
    if (std::filesystem::file_size(path) > limit) {
        throw std::invalid_argument(path.string() + " is larger than " + std::to_string(limit) +
                                    " bytes");
    }
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The manifest file, checked to be one (the NSCL appraises against its reference values).
base::Bytes manifestFile(const std::filesystem::path& path) {
    base::Bytes bytes = readFile(path, 64 * 1024);
    try {
        static_cast<void>(integrity::SignedManifest::decode(bytes));
    } catch (const integrity::Error& e) {
        throw std::invalid_argument(path.string() + ": not a signed manifest: " + e.what());
    }
    return bytes;
}

// A path below the node's SCL: segments of [A-Za-z0-9._-], no "." or "..", no leading slash.
void checkAllowedPath(const std::string& path) {
    std::size_t start = 0;
    while (start <= path.size()) {
        const std::size_t slash = std::min(path.find('/', start), path.size());
        const std::string segment = path.substr(start, slash - start);
        const bool ok = !segment.empty() && segment != "." && segment != ".." &&
                        segment.find_first_not_of(
                            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS"
                            "TUVWXYZ0123456789._-") == std::string::npos;
        if (!ok) {
            throw std::invalid_argument("--allow " + path +
                                        ": a path relative to the node's SCL, e.g. "
                                        "applications/maintenance");
        }
        start = slash + 1;
    }
}

}  // namespace

int runPolicy(const PolicyOptions& o) {
    return guarded("policy", [&] {
        const std::string node = checkedNode(o.node);
        if (!o.manifest && !o.remediate) {
            throw std::invalid_argument("give --manifest, --remediate or both");
        }
        if (o.onFail != "partial" && o.onFail != "deny") {
            throw std::invalid_argument("--on-fail must be partial or deny");
        }
        for (const std::string& path : o.allow) {
            checkAllowedPath(path);
        }
        Store store(o.db);
        if (!store.node(node)) {
            throw std::invalid_argument("no node " + node + " (import it first)");
        }
        if (o.manifest) {
            store.setPolicy(node, {manifestFile(*o.manifest), o.onFail, o.allow});
            std::cout << "node " << node << ": reference manifest " << o.manifest->string()
                      << ", on fail " << o.onFail << "\n";
        }
        if (o.remediate) {
            if (!store.policy(node)) {
                throw std::invalid_argument("node " + node + " has no policy: --manifest first");
            }
            std::vector<std::pair<std::string, base::Bytes>> objects;
            for (const std::string& spec : o.objects) {
                const auto eq = spec.find('=');
                if (eq == 0 || eq == std::string::npos || eq > 64 || eq + 1 == spec.size()) {
                    throw std::invalid_argument("--object " + spec + ": NAME=FILE");
                }
                objects.emplace_back(spec.substr(0, eq),
                                     readFile(spec.substr(eq + 1), kMaxObjectBytes));
            }
            // The NSCL's reference values follow once the decision has ordered the manifest.
            const PendingRemediation pending =
                store.addRemediation(node, manifestFile(*o.remediate), objects);
            std::cout << "node " << node << ": the next decision orders manifest "
                      << o.remediate->string() << " and " << pending.objects.size()
                      << " object(s)\n";
        }
    });
}

int runPolicyKey(const std::filesystem::path& db) {
    return guarded("policy-key", [&] {
        std::cout << loadOrCreatePolicyKey(policyKeyPath(db)).publicKey().pem();
    });
}

}  // namespace netsim
