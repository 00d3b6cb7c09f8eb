// Private to the PC/SC backend: the SCARDCONTEXT owner that PcscContext and its PcscCards
// share.
#pragma once

#include <winscard.h>

namespace seuicc::detail {

struct PcscContextHandle {
    explicit PcscContextHandle(SCARDCONTEXT h) : value(h) {}
    ~PcscContextHandle() { SCardReleaseContext(value); }
    // C++ Core Guidelines C.21: owning a handle, it is neither copied nor moved.
    PcscContextHandle(const PcscContextHandle&) = delete;
    PcscContextHandle& operator=(const PcscContextHandle&) = delete;
    PcscContextHandle(PcscContextHandle&&) = delete;
    PcscContextHandle& operator=(PcscContextHandle&&) = delete;

    SCARDCONTEXT value;
};

}  // namespace seuicc::detail
