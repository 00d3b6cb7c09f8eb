// Key files (securechannel::loadKeyFile, readSecretFile, secure-channel/src/key_file.cpp) on a
// real 0600 file holding the input after its first byte; the first byte picks the key size asked
// for (Kmsa 16, Kmr 32, an admin code 8). Anything but a key of that size must be a KeyFileError.
#include <cstdint>
#include <stdexcept>

#include "fuzz_support.hpp"
#include "securechannel/errors.hpp"
#include "securechannel/key_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::quietLogs();
    if (size == 0) {
        return 0;
    }
    static fuzz::ScratchFile file("key");
    constexpr std::size_t kSizes[] = {16, 32, 8};
    const std::size_t expected = kSizes[data[0] % 3];
    const auto& path = file.write(fuzz::bytes(data + 1, size - 1));
    try {
        if (securechannel::loadKeyFile(path, expected).size() != expected) {
            throw std::logic_error("loadKeyFile returned a key of another size");
        }
    } catch (const securechannel::KeyFileError&) {
    }
    try {
        if (securechannel::readSecretFile(path, 8192).size() != size - 1) {
            throw std::logic_error("readSecretFile returned another length than the file's");
        }
    } catch (const securechannel::KeyFileError&) {
    }
    return 0;
}
