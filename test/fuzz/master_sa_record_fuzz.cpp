// The master SA record a terminal keeps in its state folder (MasterSaRecord::fromText,
// secure-channel/src/ts102484/master_sa_record.cpp): any text must give a record or a
// MasterSaRecordError; a record must print back to text that parses to the same record, and its
// checks under a Kmsa must answer, never throw.
#include <cstdint>
#include <stdexcept>

#include "fuzz_support.hpp"
#include "securechannel/ts102484/master_sa_record.hpp"
#include "seuicc/m2m_sed_client.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::quietLogs();
    using securechannel::ts102484::MasterSaRecord;
    try {
        const MasterSaRecord record = MasterSaRecord::fromText(fuzz::text(data, size));
        if (MasterSaRecord::fromText(record.toText()) != record) {
            throw std::logic_error("fromText(toText(r)) differs from r");
        }
        static_cast<void>(record.iccid());
        static const base::Bytes kmsa = base::fromHex("404142434445464748494A4B4C4D4E4F");
        static const base::Bytes aid(seuicc::M2mSedClient::kAid.begin(),
                                     seuicc::M2mSedClient::kAid.end());
        static_cast<void>(securechannel::ts102484::masterSaRecordProblem(record, kmsa, aid));
        static_cast<void>(
            securechannel::ts102484::masterSaRecordProblem(record, kmsa, aid, record.uiccId));
    } catch (const securechannel::MasterSaRecordError&) {
    }
    return 0;
}
