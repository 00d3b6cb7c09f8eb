#pragma once
// Catch2 2.x's Catch::Message compares what() with one fixed string; tests that must say "names
// the file, gives the fix and never shows the key" need a string matcher on what() instead.
#include <catch2/catch.hpp>

#include <exception>
#include <string>
#include <utility>

namespace sctest {

template <typename StringMatcher>
class MessageMatcher : public Catch::MatcherBase<std::exception> {
public:
    explicit MessageMatcher(StringMatcher matcher) : matcher_(std::move(matcher)) {}
    bool match(const std::exception& e) const override { return matcher_.match(e.what()); }
    std::string describe() const override { return "message " + matcher_.toString(); }

private:
    StringMatcher matcher_;
};

// Used within one CHECK_THROWS_MATCHES: a combined matcher refers to its parts, which live until
// the end of that statement.
template <typename StringMatcher>
MessageMatcher<StringMatcher> MessageMatches(StringMatcher matcher) {
    return MessageMatcher<StringMatcher>(std::move(matcher));
}

}  // namespace sctest
