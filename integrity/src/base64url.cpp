// base64url without padding (RFC 4648 §5) over base's canonical base64: the alphabets differ in
// two characters, so the one decoder (with its zero-pad-bits rule) serves both.
#include <algorithm>

#include "base/base64.hpp"
#include "integrity/cose.hpp"

namespace integrity {

std::string toBase64Url(base::ByteView bytes) {
    std::string text = base::base64Encode(bytes);
    while (!text.empty() && text.back() == '=') {
        text.pop_back();
    }
    std::replace(text.begin(), text.end(), '+', '-');
    std::replace(text.begin(), text.end(), '/', '_');
    return text;
}

base::Bytes fromBase64Url(std::string_view text) {
    std::string standard(text);
    for (char& c : standard) {
        if (c == '-') {
            c = '+';
        } else if (c == '_') {
            c = '/';
        } else if (c == '+' || c == '/' || c == '=') {
            throw MalformedInput("base64url: '" + std::string(1, c) +
                                 "' is not in the unpadded URL-safe alphabet");
        }
    }
    standard.append((4 - standard.size() % 4) % 4, '=');
    auto decoded = base::base64Decode(standard);
    if (!decoded) {
        throw MalformedInput("not base64url (RFC 4648 §5, without padding)");
    }
    return std::move(*decoded);
}

}  // namespace integrity
