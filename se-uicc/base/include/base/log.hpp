// Log categories (libcamera style) over spdlog. Every category of the project is declared here,
// once: a call site names a constant (`base::log::kApdu->trace(...)`), never a free string, and
// a level spec that names an unknown category is refused instead of silently doing nothing.
//
// Levels come from the environment variable M2M_LOG, read on first use, or from configure():
//   M2M_LOG="apdu=trace,pcsc=debug,*=info"
// A bare level ("debug") is the same as "*=debug". Categories not named take the "*" level, or
// info. Output goes to stderr.
#pragma once

#include <spdlog/logger.h>

#include <array>
#include <cstddef>
#include <string_view>

namespace base::log {

// One category: a name and the logger behind it (created with the rest on first use).
class Category {
public:
    constexpr Category(std::size_t index, std::string_view name) : index_(index), name_(name) {}
    [[nodiscard]] constexpr std::string_view name() const { return name_; }
    [[nodiscard]] constexpr std::size_t index() const { return index_; }
    spdlog::logger& operator*() const;
    spdlog::logger* operator->() const { return &**this; }

private:
    std::size_t index_;
    std::string_view name_;
};

// The project's categories, bottom layer first.
inline constexpr Category kPcsc{0, "pcsc"};                    // PC/SC calls and readers
inline constexpr Category kApdu{1, "apdu"};                    // every APDU (trace: redacted)
inline constexpr Category kCard{2, "card"};                    // channels, applications, card data
inline constexpr Category kSecret{3, "secret"};                // secret memory and hardening
inline constexpr Category kSecureChannel{4, "securechannel"};  // TS 102 484 sessions
inline constexpr Category kTls{5, "tls"};                      // TLS-PSK, the card PRF provider
inline constexpr Category kProvisioning{6, "provisioning"};    // bootstrap, personalisation
inline constexpr Category kAgent{7, "agent"};                  // the agent's procedures and states
inline constexpr Category kNetsim{8, "netsim"};                // the lab network
inline constexpr Category kFaultproxy{9, "faultproxy"};        // the lab's TCP fault proxy
inline constexpr std::array kCategories{kPcsc, kApdu,         kCard,  kSecret, kSecureChannel,
                                        kTls,  kProvisioning, kAgent, kNetsim, kFaultproxy};

// Replaces the level spec (including what M2M_LOG said) and applies it to every category.
// Throws base::Error on an unknown level, an unknown category or a malformed entry.
void configure(std::string_view spec);

// Adds or removes an output next to stderr for every category (a file, journald, a test's
// capture). Not thread-safe against concurrent logging: call at startup, or in tests.
void addSink(spdlog::sink_ptr sink);
void removeSink(const spdlog::sink_ptr& sink);

}  // namespace base::log
