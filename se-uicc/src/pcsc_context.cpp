// PcscContext: readers, card presence, connecting, and which reader the user means.
#include <winscard.h>

#include <fmt/format.h>
#include <algorithm>
#include <stdexcept>

#include "base/log.hpp"
#include "pcsc_context_handle.hpp"
#include "seuicc/errors.hpp"
#include "seuicc/pcsc.hpp"

namespace seuicc {

namespace {

// "0: name, 1: name" for messages that must say which readers exist.
std::string listForMessage(const std::vector<ReaderInfo>& readers) {
    if (readers.empty()) {
        return "pcscd knows no reader";
    }
    std::string out = "readers: ";
    for (std::size_t i = 0; i < readers.size(); ++i) {
        out += fmt::format("{}{}: \"{}\"{}", i == 0 ? "" : ", ", i, readers[i].name,
                           readers[i].cardPresent ? " (card)" : "");
    }
    return out;
}

// SCardListReaders gives the names as one buffer of NUL-terminated strings, ended by an
// empty one.
std::vector<std::string> splitMultiString(const std::string& buffer) {
    std::vector<std::string> names;
    for (std::size_t pos = 0; pos < buffer.size() && buffer[pos] != '\0';) {
        const std::size_t end = buffer.find('\0', pos);
        names.push_back(buffer.substr(pos, end - pos));
        pos = end + 1;
    }
    return names;
}

}  // namespace

PcscContext::PcscContext() {
    SCARDCONTEXT h = 0;
    checkPcsc(SCardEstablishContext(SCARD_SCOPE_SYSTEM, nullptr, nullptr, &h),
              "SCardEstablishContext");
    context_ = std::make_shared<const detail::PcscContextHandle>(h);
}

const detail::PcscContextHandle& PcscContext::handle() const {
    if (!context_) {
        throw std::logic_error("use of a moved-from PcscContext");
    }
    return *context_;
}

std::vector<ReaderInfo> PcscContext::listReaders() {
    const SCARDCONTEXT h = handle().value;
    std::string buffer;
    // The list can grow between the size query and the read (a reader plugged in): retry.
    for (int attempt = 1;; ++attempt) {
        DWORD size = 0;
        LONG rc = SCardListReaders(h, nullptr, nullptr, &size);
        if (rc == SCARD_S_SUCCESS) {
            buffer.assign(size, '\0');
            rc = SCardListReaders(h, nullptr, buffer.data(), &size);
        }
        if (rc == SCARD_E_NO_READERS_AVAILABLE) {
            return {};
        }
        if (rc == SCARD_E_INSUFFICIENT_BUFFER && attempt < 3) {
            continue;
        }
        checkPcsc(rc, "SCardListReaders");
        break;
    }

    const std::vector<std::string> names = splitMultiString(buffer);
    std::vector<SCARD_READERSTATE> states(names.size());
    for (std::size_t i = 0; i < names.size(); ++i) {
        states[i].szReader = names[i].c_str();
        states[i].dwCurrentState = SCARD_STATE_UNAWARE;
    }
    if (!states.empty()) {
        // With UNAWARE states this returns the current state at once.
        checkPcsc(SCardGetStatusChange(h, 0, states.data(), static_cast<DWORD>(states.size())),
                  "SCardGetStatusChange");
    }
    std::vector<ReaderInfo> readers;
    for (std::size_t i = 0; i < names.size(); ++i) {
        const bool present = (states[i].dwEventState & SCARD_STATE_PRESENT) != 0;
        readers.push_back(
            {names[i], present,
             present ? Bytes(states[i].rgbAtr, states[i].rgbAtr + states[i].cbAtr) : Bytes{}});
    }
    return readers;
}

std::unique_ptr<PcscCard> PcscContext::connect(const std::string& reader) {
    handle();  // a moved-from context fails here, before a card object exists
    return std::unique_ptr<PcscCard>(new PcscCard(context_, reader));
}

bool PcscContext::waitForCard(const std::string& reader, std::chrono::milliseconds timeout) {
    const SCARDCONTEXT h = handle().value;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    SCARD_READERSTATE state{};
    state.szReader = reader.c_str();
    state.dwCurrentState = SCARD_STATE_UNAWARE;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        const auto waitMs = static_cast<DWORD>(std::max<std::int64_t>(left.count(), 0));
        const LONG rc = SCardGetStatusChange(h, waitMs, &state, 1);
        if (rc == SCARD_E_TIMEOUT) {
            return false;
        }
        checkPcsc(rc, fmt::format("SCardGetStatusChange(\"{}\")", reader));
        if ((state.dwEventState & SCARD_STATE_UNKNOWN) != 0) {
            throwPcscError(SCARD_E_UNKNOWN_READER, fmt::format("waiting for \"{}\"", reader));
        }
        if ((state.dwEventState & SCARD_STATE_PRESENT) != 0 &&
            (state.dwEventState & SCARD_STATE_MUTE) == 0) {
            return true;
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            return false;
        }
        // Wait for the next change from the state just seen.
        state.dwCurrentState = state.dwEventState & ~static_cast<DWORD>(SCARD_STATE_CHANGED);
    }
}

std::string PcscContext::readerByIndex(std::size_t index) {
    const auto readers = listReaders();
    if (readers.empty()) {
        throwPcscError(SCARD_E_NO_READERS_AVAILABLE, fmt::format("reader #{}", index));
    }
    if (index >= readers.size()) {
        throwPcscError(SCARD_E_UNKNOWN_READER,
                       fmt::format("no reader #{} ({})", index, listForMessage(readers)));
    }
    return readers[index].name;
}

std::string PcscContext::resolveReader(const std::optional<std::string>& name,
                                       std::optional<std::size_t> index) {
    if (name && index) {
        throw Error("give a reader name or a reader index, not both");
    }
    if (index) {
        return readerByIndex(*index);
    }
    const auto readers = listReaders();
    if (name) {
        std::vector<const ReaderInfo*> matches;
        for (const auto& r : readers) {
            if (r.name == *name) {
                return r.name;
            }
            if (r.name.starts_with(*name)) {
                matches.push_back(&r);
            }
        }
        if (matches.size() == 1) {
            return matches.front()->name;
        }
        throwPcscError(SCARD_E_UNKNOWN_READER,
                       fmt::format("{} \"{}\" ({})",
                                   matches.empty() ? "no reader named" : "several readers match",
                                   *name, listForMessage(readers)));
    }
    if (readers.empty()) {
        throwPcscError(SCARD_E_NO_READERS_AVAILABLE, "looking for a reader with a card");
    }
    const auto withCard = std::find_if(readers.begin(), readers.end(),
                                       [](const ReaderInfo& r) { return r.cardPresent; });
    if (withCard == readers.end()) {
        throwPcscError(SCARD_E_NO_SMARTCARD,
                       fmt::format("no card in any reader ({})", listForMessage(readers)));
    }
    base::log::kPcsc->debug("using reader \"{}\", the first with a card", withCard->name);
    return withCard->name;
}

}  // namespace seuicc
