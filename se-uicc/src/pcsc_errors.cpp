// PC/SC return codes -> name, plain-words explanation and exception class. Every SCARD_E_*,
// SCARD_W_*, SCARD_F_* (and SCARD_P_*) constant of pcsc-lite's pcsclite.h is in the table.
#include <winscard.h>

#include <fmt/format.h>
#include <algorithm>
#include <array>

#include "seuicc/errors.hpp"

namespace seuicc {

namespace {

// Which exception class a code raises; Generic is plain PcscError.
enum class Kind {
    Generic,
    ServiceUnavailable,
    NoReaders,
    ReaderNotFound,
    NoCard,
    CardRemoved,
    CardReset,
    Timeout,
    SharingViolation,
    TransmitFailed,
};

struct CodeInfo {
    long code;
    std::string_view name;
    std::string_view explanation;
    Kind kind;
};

// pcsc-lite defines SCARD_E_UNEXPECTED and SCARD_E_UNSUPPORTED_FEATURE with the same value
// (0x8010001F); the entry carries the name pcsc-lite's own functions mean by it.
constexpr std::array kCodes{
    CodeInfo{SCARD_F_INTERNAL_ERROR, "SCARD_F_INTERNAL_ERROR",
             "pcscd hit an internal consistency error. Restart pcscd; if it persists, it is a "
             "pcsc-lite or reader-driver bug.",
             Kind::Generic},
    CodeInfo{SCARD_E_CANCELLED, "SCARD_E_CANCELLED",
             "The wait was cancelled by SCardCancel (normally because the program is stopping).",
             Kind::Generic},
    CodeInfo{SCARD_E_INVALID_HANDLE, "SCARD_E_INVALID_HANDLE",
             "The PC/SC context or card handle is no longer valid, typically because pcscd was "
             "restarted. Connect again.",
             Kind::Generic},
    CodeInfo{SCARD_E_INVALID_PARAMETER, "SCARD_E_INVALID_PARAMETER",
             "pcscd rejected a parameter of the call. This is a bug in the calling program.",
             Kind::Generic},
    CodeInfo{SCARD_E_INVALID_TARGET, "SCARD_E_INVALID_TARGET",
             "pcscd's startup information is missing or invalid. Check the pcscd installation.",
             Kind::Generic},
    CodeInfo{SCARD_E_NO_MEMORY, "SCARD_E_NO_MEMORY",
             "pcscd ran out of memory. Free memory or restart pcscd.", Kind::Generic},
    CodeInfo{SCARD_F_WAITED_TOO_LONG, "SCARD_F_WAITED_TOO_LONG",
             "An internal pcscd timer expired. Retry; if it repeats, the reader or its driver "
             "hangs: replug the reader or restart pcscd.",
             Kind::Timeout},
    CodeInfo{SCARD_E_INSUFFICIENT_BUFFER, "SCARD_E_INSUFFICIENT_BUFFER",
             "The answer did not fit the receive buffer. The card sent more than the program "
             "expected (a bug in the calling program or a misbehaving card).",
             Kind::TransmitFailed},
    CodeInfo{SCARD_E_UNKNOWN_READER, "SCARD_E_UNKNOWN_READER",
             "No reader has that name. List the readers with `m2m readers` and pick one by name "
             "or index.",
             Kind::ReaderNotFound},
    CodeInfo{SCARD_E_TIMEOUT, "SCARD_E_TIMEOUT",
             "The wait ended before anything happened (for example no card was inserted in "
             "time).",
             Kind::Timeout},
    CodeInfo{SCARD_E_SHARING_VIOLATION, "SCARD_E_SHARING_VIOLATION",
             "Another program holds the card exclusively (a running daemon, pcsc_scan, a "
             "browser plug-in). Stop it or wait until it lets go.",
             Kind::SharingViolation},
    CodeInfo{SCARD_E_NO_SMARTCARD, "SCARD_E_NO_SMARTCARD",
             "There is no card in the reader. Insert the SIM, or start the emulated UICC.",
             Kind::NoCard},
    CodeInfo{SCARD_E_UNKNOWN_CARD, "SCARD_E_UNKNOWN_CARD",
             "pcscd does not recognise the card name given. Use the card through its reader "
             "instead.",
             Kind::Generic},
    CodeInfo{SCARD_E_CANT_DISPOSE, "SCARD_E_CANT_DISPOSE",
             "The reader could not leave, reset, unpower or eject the card as asked. Replug the "
             "reader.",
             Kind::Generic},
    CodeInfo{SCARD_E_PROTO_MISMATCH, "SCARD_E_PROTO_MISMATCH",
             "The card does not speak the protocol (T=0/T=1) asked for, or another program "
             "already uses it with a different one.",
             Kind::Generic},
    CodeInfo{SCARD_E_NOT_READY, "SCARD_E_NOT_READY",
             "The reader or the card is not ready to accept commands. Wait a moment and retry, "
             "or re-insert the card.",
             Kind::TransmitFailed},
    CodeInfo{SCARD_E_INVALID_VALUE, "SCARD_E_INVALID_VALUE",
             "pcscd rejected a value passed to the call. This is a bug in the calling program.",
             Kind::Generic},
    CodeInfo{SCARD_E_SYSTEM_CANCELLED, "SCARD_E_SYSTEM_CANCELLED",
             "The system cancelled the operation (log-off or shutdown).", Kind::Generic},
    CodeInfo{SCARD_F_COMM_ERROR, "SCARD_F_COMM_ERROR",
             "Communication with pcscd or the reader failed. Check the reader connection; "
             "restart pcscd if it repeats.",
             Kind::TransmitFailed},
    CodeInfo{SCARD_F_UNKNOWN_ERROR, "SCARD_F_UNKNOWN_ERROR",
             "pcscd reports an internal error of unknown origin. Restart pcscd and replug the "
             "reader.",
             Kind::Generic},
    CodeInfo{SCARD_E_INVALID_ATR, "SCARD_E_INVALID_ATR",
             "An ATR from pcscd's configuration is not a valid ATR string. Check the reader "
             "driver configuration.",
             Kind::Generic},
    CodeInfo{SCARD_E_NOT_TRANSACTED, "SCARD_E_NOT_TRANSACTED",
             "The exchange with the card did not complete (the card stopped answering, or the "
             "transaction was lost). Re-insert the card and retry.",
             Kind::TransmitFailed},
    CodeInfo{SCARD_E_READER_UNAVAILABLE, "SCARD_E_READER_UNAVAILABLE",
             "The reader is not available any more (unplugged, or its driver stopped). Plug it "
             "back in.",
             Kind::ReaderNotFound},
    CodeInfo{SCARD_P_SHUTDOWN, "SCARD_P_SHUTDOWN",
             "The operation was aborted because the program is shutting down.", Kind::Generic},
    CodeInfo{SCARD_E_PCI_TOO_SMALL, "SCARD_E_PCI_TOO_SMALL",
             "The protocol control information buffer was too small. This is a bug in the "
             "calling program.",
             Kind::Generic},
    CodeInfo{SCARD_E_READER_UNSUPPORTED, "SCARD_E_READER_UNSUPPORTED",
             "The reader driver does not meet pcscd's minimum requirements. Update the driver "
             "(libccid, vsmartcard-vpcd).",
             Kind::Generic},
    CodeInfo{SCARD_E_DUPLICATE_READER, "SCARD_E_DUPLICATE_READER",
             "The reader driver did not produce a unique reader name. Check the reader "
             "configuration.",
             Kind::Generic},
    CodeInfo{SCARD_E_CARD_UNSUPPORTED, "SCARD_E_CARD_UNSUPPORTED",
             "The card does not meet the reader's minimum requirements. Try another card or "
             "reader.",
             Kind::Generic},
    CodeInfo{SCARD_E_NO_SERVICE, "SCARD_E_NO_SERVICE",
             "pcscd is not running — start it with `sudo systemctl start pcscd.socket` (or run "
             "`sudo pcscd`), and check that PCSCLITE_CSOCK_NAME, if set, points to its socket.",
             Kind::ServiceUnavailable},
    CodeInfo{SCARD_E_SERVICE_STOPPED, "SCARD_E_SERVICE_STOPPED",
             "pcscd stopped while in use — start it again with `sudo systemctl start "
             "pcscd.socket` (or `sudo pcscd`) and reconnect.",
             Kind::ServiceUnavailable},
    CodeInfo{SCARD_E_UNSUPPORTED_FEATURE, "SCARD_E_UNSUPPORTED_FEATURE",
             "The reader or card does not support the requested feature (same value as "
             "SCARD_E_UNEXPECTED in pcsc-lite: an unexpected card error).",
             Kind::Generic},
    CodeInfo{SCARD_E_ICC_INSTALLATION, "SCARD_E_ICC_INSTALLATION",
             "No primary provider can be found for the card.", Kind::Generic},
    CodeInfo{SCARD_E_ICC_CREATEORDER, "SCARD_E_ICC_CREATEORDER",
             "The requested order of object creation is not supported.", Kind::Generic},
    CodeInfo{SCARD_E_DIR_NOT_FOUND, "SCARD_E_DIR_NOT_FOUND",
             "The directory does not exist on the card.", Kind::Generic},
    CodeInfo{SCARD_E_FILE_NOT_FOUND, "SCARD_E_FILE_NOT_FOUND",
             "The file does not exist on the card.", Kind::Generic},
    CodeInfo{SCARD_E_NO_DIR, "SCARD_E_NO_DIR", "The path does not name a directory on the card.",
             Kind::Generic},
    CodeInfo{SCARD_E_NO_FILE, "SCARD_E_NO_FILE", "The path does not name a file on the card.",
             Kind::Generic},
    CodeInfo{SCARD_E_NO_ACCESS, "SCARD_E_NO_ACCESS", "Access to this file is denied.",
             Kind::Generic},
    CodeInfo{SCARD_E_WRITE_TOO_MANY, "SCARD_E_WRITE_TOO_MANY",
             "The card does not have enough memory to store the data.", Kind::Generic},
    CodeInfo{SCARD_E_BAD_SEEK, "SCARD_E_BAD_SEEK", "Setting the card's file pointer failed.",
             Kind::Generic},
    CodeInfo{SCARD_E_INVALID_CHV, "SCARD_E_INVALID_CHV", "The PIN given is incorrect.",
             Kind::Generic},
    CodeInfo{SCARD_E_UNKNOWN_RES_MNG, "SCARD_E_UNKNOWN_RES_MNG",
             "A layered component returned an unrecognised error.", Kind::Generic},
    CodeInfo{SCARD_E_NO_SUCH_CERTIFICATE, "SCARD_E_NO_SUCH_CERTIFICATE",
             "The requested certificate does not exist.", Kind::Generic},
    CodeInfo{SCARD_E_CERTIFICATE_UNAVAILABLE, "SCARD_E_CERTIFICATE_UNAVAILABLE",
             "The requested certificate could not be obtained.", Kind::Generic},
    CodeInfo{SCARD_E_NO_READERS_AVAILABLE, "SCARD_E_NO_READERS_AVAILABLE",
             "pcscd knows no reader. Plug in a reader, or install the virtual reader driver for "
             "the emulated UICC (vsmartcard-vpcd) and restart pcscd.",
             Kind::NoReaders},
    CodeInfo{SCARD_E_COMM_DATA_LOST, "SCARD_E_COMM_DATA_LOST",
             "Data was lost in the exchange with the card. Retry the operation.",
             Kind::TransmitFailed},
    CodeInfo{SCARD_E_NO_KEY_CONTAINER, "SCARD_E_NO_KEY_CONTAINER",
             "The requested key container does not exist on the card.", Kind::Generic},
    CodeInfo{SCARD_E_SERVER_TOO_BUSY, "SCARD_E_SERVER_TOO_BUSY",
             "pcscd is too busy to complete the operation. Retry later.", Kind::Generic},
    CodeInfo{SCARD_W_UNSUPPORTED_CARD, "SCARD_W_UNSUPPORTED_CARD",
             "The reader cannot talk to the card: its ATR conflicts with the reader "
             "configuration. Check the card's orientation or try another reader.",
             Kind::Generic},
    CodeInfo{SCARD_W_UNRESPONSIVE_CARD, "SCARD_W_UNRESPONSIVE_CARD",
             "The card does not answer to reset (mute card, dirty contacts, or inserted the "
             "wrong way). Re-insert it.",
             Kind::Generic},
    CodeInfo{SCARD_W_UNPOWERED_CARD, "SCARD_W_UNPOWERED_CARD",
             "The card was powered down, so its session state is gone. Reconnect (the card "
             "restarts from its ATR).",
             Kind::CardReset},
    CodeInfo{SCARD_W_RESET_CARD, "SCARD_W_RESET_CARD",
             "The card was reset (by another program or a power glitch): selected files, "
             "logical channels and secure-channel sessions are gone. Reconnect and start over.",
             Kind::CardReset},
    CodeInfo{SCARD_W_REMOVED_CARD, "SCARD_W_REMOVED_CARD",
             "The card was removed from the reader. Insert it again and reconnect.",
             Kind::CardRemoved},
    CodeInfo{SCARD_W_SECURITY_VIOLATION, "SCARD_W_SECURITY_VIOLATION",
             "Access was denied because of a security violation.", Kind::Generic},
    CodeInfo{SCARD_W_WRONG_CHV, "SCARD_W_WRONG_CHV",
             "The card cannot be accessed because the wrong PIN was presented.", Kind::Generic},
    CodeInfo{SCARD_W_CHV_BLOCKED, "SCARD_W_CHV_BLOCKED",
             "The card cannot be accessed because the PIN is blocked (too many wrong tries).",
             Kind::Generic},
    CodeInfo{SCARD_W_EOF, "SCARD_W_EOF", "The end of the card file was reached.", Kind::Generic},
    CodeInfo{SCARD_W_CANCELLED_BY_USER, "SCARD_W_CANCELLED_BY_USER",
             "The user cancelled the card selection dialog.", Kind::Generic},
    CodeInfo{SCARD_W_CARD_NOT_AUTHENTICATED, "SCARD_W_CARD_NOT_AUTHENTICATED",
             "No PIN was presented to the card.", Kind::Generic},
};

constexpr CodeInfo kUnknown{0, "unknown PC/SC error",
                            "pcsc-lite returned a code this program does not know. Check the "
                            "pcscd log (journalctl -u pcscd).",
                            Kind::Generic};

const CodeInfo& lookup(long code) {
    const auto it = std::find_if(kCodes.begin(), kCodes.end(),
                                 [code](const CodeInfo& info) { return info.code == code; });
    return it != kCodes.end() ? *it : kUnknown;
}

}  // namespace

PcscError::PcscError(long code, std::string_view context)
    : Error(fmt::format("{}: {} (0x{:08X})", context, lookup(code).name,
                        static_cast<unsigned long>(code) & 0xFFFFFFFFUL)),
      code_(code),
      name_(lookup(code).name),
      explanation_(lookup(code).explanation) {}

void throwPcscError(long code, std::string_view context) {
    switch (lookup(code).kind) {
        case Kind::ServiceUnavailable:
            throw PcscServiceUnavailable(code, context);
        case Kind::NoReaders:
            throw PcscNoReaders(code, context);
        case Kind::ReaderNotFound:
            throw PcscReaderNotFound(code, context);
        case Kind::NoCard:
            throw PcscNoCard(code, context);
        case Kind::CardRemoved:
            throw PcscCardRemoved(code, context);
        case Kind::CardReset:
            throw PcscCardReset(code, context);
        case Kind::Timeout:
            throw PcscTimeout(code, context);
        case Kind::SharingViolation:
            throw PcscSharingViolation(code, context);
        case Kind::TransmitFailed:
            throw PcscTransmitFailed(code, context);
        case Kind::Generic:
            break;
    }
    throw PcscError(code, context);
}

void checkPcsc(long code, std::string_view context) {
    if (code != SCARD_S_SUCCESS) {
        throwPcscError(code, context);
    }
}

}  // namespace seuicc
