// The personalisation plumbing the Secured Environment Domains share (M2M-SED.md §3, §8;
// IV-SED.md §2-§3 refers to it): GET DATA with its length guess, VERIFY ADMIN and STORE DATA
// with the keys and the code traced redacted.
#include <utility>

#include "base/scope_exit.hpp"
#include "base/secret.hpp"
#include "sed_coding.hpp"

namespace seuicc::sed {

ResponseApdu getPublicData(const Transaction& tx, CardChannel& channel, std::size_t& lastSize) {
    // The public data have no fixed size; the last answer's is the best guess, and a T=0 card
    // answers 6Cxx (one more APDU, CardChannel re-reads) only when they changed since.
    const std::uint32_t le = lastSize > 0 && lastSize <= CommandApdu::kMaxShortNe
                                 ? static_cast<std::uint32_t>(lastSize)
                                 : CommandApdu::kMaxShortNe;
    const CommandApdu getData{kClaProprietary, kInsGetData, 0x00, kGetDataAllP2, {}, le};
    ResponseApdu response = channel.transmit(tx, getData);
    if (response.ok()) {
        lastSize = response.data.size();
    }
    return response;
}

ResponseApdu sendVerifyAdmin(const Transaction& tx, CardChannel& channel, ByteView code) {
    // The one copy of the code outside its SecretBuffer: moved into transmit, which wipes it.
    CommandApdu verify{
        kClaIso, kInsVerify, 0x00, kVerifyAdminP2, Bytes(code.begin(), code.end()), std::nullopt};
    return channel.transmit(tx, std::move(verify), {.commandData = true, .responseData = false});
}

std::size_t sendStoreData(const Transaction& tx, CardChannel& channel,
                          std::span<const StoreDataItem> items, bool clearFirst,
                          const std::function<void(const ResponseApdu&)>& check) {
    std::vector<StoreDataBatch> batches = packStoreData(items);
    const base::ScopeExit wipeBatches([&batches] {
        for (StoreDataBatch& batch : batches) {
            base::secureWipe(batch.data);
        }
    });
    bool first = true;
    for (StoreDataBatch& batch : batches) {
        const std::uint8_t p1 = first && clearFirst ? kStoreDataClearFirst : 0x00;
        first = false;
        // The batch's bytes move into the command and on into transmit, which wipes them when
        // they are keys; what stays behind in `batches` is empty or public.
        CommandApdu store{kClaProprietary,       kInsStoreData, p1, 0x00,
                          std::move(batch.data), std::nullopt};
        check(channel.transmit(tx, std::move(store), {.commandData = batch.sensitive}));
    }
    return batches.size();
}

}  // namespace seuicc::sed
