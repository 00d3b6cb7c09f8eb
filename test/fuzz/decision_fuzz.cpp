// The NSCL's decision (integrity::DecisionClaims::decode, Decision::decode): what the agent reads
// from the registration's answer, remediation manifest included. Whatever decodes must re-encode
// to the same bytes; checking it against a report fails only with NotFresh.
#include <algorithm>
#include <cstdint>
#include <stdexcept>

#include "fuzz_support.hpp"
#include "integrity/decision.hpp"
#include "integrity/eat.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::quietLogs();
    const auto input = fuzz::bytes(data, size);
    try {
        integrity::Decision decision;
        decision.claims = integrity::DecisionClaims::decode(input);
        const auto encoded = decision.claims.encode();
        if (!std::equal(input.begin(), input.end(), encoded.begin(), encoded.end())) {
            throw std::logic_error("decoded decision claims re-encode to other bytes");
        }
        integrity::EatClaims report;
        report.ueid = decision.claims.node;
        report.nonce = decision.claims.nonce;
        report.counter = decision.claims.counter;
        try {
            decision.checkAnswers(report, decision.claims.iat);
        } catch (const integrity::NotFresh&) {
            throw std::logic_error("a decision does not answer the report made from it");
        }
    } catch (const integrity::MalformedInput&) {
    }
    try {
        (void)integrity::Decision::decode(input);
    } catch (const integrity::MalformedInput&) {
    }
    return 0;
}
