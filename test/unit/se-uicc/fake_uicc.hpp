// An emulated UICC for MemoryTransport: the MF with EF_ICCID and EF_DIR (selected by file ID or
// by path from the MF), answering the way a T=0 card does (a case-4 SELECT gets 61xx and waits
// for GET RESPONSE; a READ with the wrong Le gets 6Cxx), or, with t0 = false, the way a T=1 card
// does (data straight away).
#pragma once

#include <optional>
#include <vector>

#include "base/bytes.hpp"
#include "seuicc/apdu.hpp"

namespace fake {

// The emulated card's ATR (T=0 and T=15, secure channel advertised).
inline const char* const kAtr = "3B9A96803FC7888031E073FE211382900000";

class Uicc {
public:
    struct Options {
        std::string iccid = "8988211000000000018";
        std::vector<base::Bytes> dirRecords;  // EF_DIR records, padded with FF on the card
        std::size_t dirRecordLength = 38;
        bool withEfDir = true;
        bool t0 = true;
    };

    explicit Uicc(Options options);

    // The MemoryTransport handler.
    base::Bytes operator()(base::ByteView command);

private:
    enum class File { None, Mf, EfIccid, EfDir };

    seuicc::ResponseApdu respond(const seuicc::CommandApdu& command);
    seuicc::ResponseApdu select(const seuicc::CommandApdu& command);
    seuicc::ResponseApdu readBinary(const seuicc::CommandApdu& command);
    seuicc::ResponseApdu readRecord(const seuicc::CommandApdu& command);
    seuicc::ResponseApdu getResponse(const seuicc::CommandApdu& command);
    // T=0: hold `data` for GET RESPONSE and answer 61xx; T=1: answer it now.
    seuicc::ResponseApdu answerCase4(base::Bytes data);
    base::Bytes fcpOf(File file) const;

    Options options_;
    base::Bytes efIccid_;
    File selected_ = File::Mf;
    std::optional<base::Bytes> pending_;  // response data waiting for GET RESPONSE
};

// A record for EF_DIR: application template 61 with AID 4F and label 50.
base::Bytes efDirRecord(const base::Bytes& aid, const std::string& label);

}  // namespace fake
