// Well-formed examples of each integrity format, for the tests to start from and break.
#pragma once

#include "integrity/decision.hpp"
#include "integrity/eat.hpp"
#include "integrity/manifest.hpp"

namespace itest {

inline base::Bytes filled(std::size_t size, std::uint8_t value) {
    return base::Bytes(size, value);
}

inline integrity::Manifest sampleManifest(std::uint32_t version = 3) {
    integrity::Manifest m;
    m.version = version;
    m.objects = {
        {"@agent", filled(32, 0xa1), true, integrity::RecoveryAction::Halt},
        {"@config", filled(32, 0xc0), true, integrity::RecoveryAction::Rollback},
        {"plugins/extra.so", filled(32, 0x5e), false, integrity::RecoveryAction::Report},
    };
    return m;
}

inline integrity::EatClaims sampleClaims() {
    integrity::EatClaims c;
    c.iat = 1767225600;
    c.nonce = filled(32, 0x4e);
    c.ueid = filled(17, 0x22);
    c.ueid[0] = 0x01;
    c.measurements = {{"@agent", filled(32, 0xa1)}, {"@config", filled(32, 0xc0)}};
    c.results = {{"@agent", integrity::MeasurementResult::Success},
                 {"@config", integrity::MeasurementResult::Success},
                 {"plugins/extra.so", integrity::MeasurementResult::Absent}};
    c.manifestVersion = 3;
    c.counter = 7;
    return c;
}

inline integrity::DecisionClaims sampleDecisionFor(const integrity::EatClaims& report) {
    integrity::DecisionClaims d;
    d.node = report.ueid;
    d.nonce = report.nonce;
    d.counter = report.counter;
    d.verdict = integrity::Verdict::Full;
    d.iat = 1767225600;
    d.exp = 1767225600 + 3600;
    return d;
}

}  // namespace itest
