// The NSCL's policy key file (see policy_key.hpp).
#include "policy_key.hpp"

namespace netsim {

std::filesystem::path policyKeyPath(const std::filesystem::path& db) {
    return db.string() + ".policy-key.pem";
}

integrity::PrivateKey loadOrCreatePolicyKey(const std::filesystem::path& path) {
    if (!std::filesystem::exists(path)) {
        integrity::PrivateKey::generate().writePemFile(path.string());
    }
    // Read back in either case: what signs decisions is what the file holds.
    return integrity::PrivateKey::fromPemFile(path.string());
}

}  // namespace netsim
