// The card most integration tests share (slot 0), started once per test binary. Tests that
// restart, tear or pull a card use their own EmulatedCard on slot 1 instead.
#pragma once

#include <memory>

#include "base/bytes.hpp"
#include "emulated_card.hpp"
#include "seuicc/pcsc.hpp"

namespace testsupport {

inline EmulatedCard& sharedCard() {
    static EmulatedCard card{EmulatedCard::Options{}};
    return card;
}

// What testdata/cards/uicc-default.properties puts on the card.
inline const base::Bytes kTestAppletAid = base::fromHex("F04D324D5445535401");
inline constexpr const char* kDefaultIccid = "8988211000000000018";

}  // namespace testsupport
