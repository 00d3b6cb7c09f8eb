#include "psk_handles.hpp"

#include <mutex>
#include <vector>

#include <openssl/crypto.h>

#include "securechannel/crypto.hpp"

namespace securechannel::tls::detail {

namespace {

struct Registry {
    std::mutex mutex;
    std::vector<std::shared_ptr<HandleEntry>> entries;
};

Registry& registry() {
    static Registry* r = new Registry();  // never destroyed: OpenSSL may call us at exit
    return *r;
}

}  // namespace

// Every entry is compared, with CRYPTO_memcmp, whatever matched before: how long a lookup takes
// says nothing about which handle (or which real PSK, on a server in the same process) it saw.
std::shared_ptr<HandleEntry> findHandle(ByteView candidate) {
    if (candidate.size() != kHandleSize) {
        return nullptr;
    }
    Registry& r = registry();
    const std::lock_guard lock(r.mutex);
    std::shared_ptr<HandleEntry> found;
    for (const auto& entry : r.entries) {
        const bool same = CRYPTO_memcmp(entry->handle.data(), candidate.data(), kHandleSize) == 0;
        if (same) {
            found = entry;
        }
    }
    return found;
}

HandleRegistration::HandleRegistration(CardKeyOperations& card, seuicc::KeySlot slot)
    : entry_(std::make_shared<HandleEntry>()) {
    entry_->handle = randomSecret(kHandleSize);
    entry_->card = &card;
    entry_->slot = slot;
    Registry& r = registry();
    const std::lock_guard lock(r.mutex);
    r.entries.push_back(entry_);
}

HandleRegistration::~HandleRegistration() {
    Registry& r = registry();
    {
        const std::lock_guard lock(r.mutex);
        std::erase(r.entries, entry_);
    }
    entry_->card = nullptr;
}

ByteView HandleRegistration::handle() const {
    return entry_->handle.view();
}

std::exception_ptr HandleRegistration::error() const {
    return entry_->error;
}

unsigned HandleRegistration::masterSecrets() const {
    return entry_->masterSecrets;
}

}  // namespace securechannel::tls::detail
