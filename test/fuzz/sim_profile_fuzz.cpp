// The SIM personalisation profile (provisioning::parseSimProfile, provisioning/src/
// sim_profile.cpp): any TOML text must give a profile within the documented limits or a
// ProfileError (a KeyFileError for an admin.code_file that cannot be used: the folder it is
// relative to holds one valid code file, "admin.code").
#include <cstdint>
#include <stdexcept>

#include "fuzz_support.hpp"
#include "provisioning/sim_profile.hpp"
#include "securechannel/errors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::quietLogs();
    static fuzz::ScratchFile codeFile("admin.code");
    static const bool written = [] {
        codeFile.write(base::fromHex("3131313131313131"));
        return true;
    }();
    static_cast<void>(written);
    try {
        const provisioning::SimProfile p =
            provisioning::parseSimProfile(fuzz::text(data, size), codeFile.folder());
        if (p.adminCode.size() != 8 || p.sclId.empty() || p.masFqdn.empty() || p.nscl.empty() ||
            (p.nodeId && p.nodeId->size() != 16) || (p.kmr.value && p.kmr.value->size() != 32) ||
            (p.kmsa.value && p.kmsa.value->size() != 16)) {
            throw std::logic_error("parseSimProfile accepted what it documents as refused");
        }
    } catch (const provisioning::ProfileError&) {
    } catch (const securechannel::KeyFileError&) {
    }
    return 0;
}
