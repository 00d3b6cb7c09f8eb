// The machine's pcscd, stopped and started again by a test (the fault matrix's "pcscd restarted").
// pcscd is shared by every program that talks to a card: callers hold the machine's card lock
// (/tmp/m2m-card.lock), and a stopped pcscd is always started again (PcscdOutage's destructor).
#pragma once

#include <chrono>
#include <filesystem>

namespace testsupport {

// While it lives, pcscd is down; the destructor starts it again if restore() has not.
class PcscdOutage {
public:
    PcscdOutage();  // stops the running pcscd (SIGTERM, by the pid in /run/pcscd/pcscd.pid)
    ~PcscdOutage();
    PcscdOutage(const PcscdOutage&) = delete;
    PcscdOutage& operator=(const PcscdOutage&) = delete;

    // Starts `pcscd -f` again, detached from the test (it outlives it, as the one it replaced
    // would have), and waits until it answers. Its pid goes to <runDir>/pcscd.restarted.pid, so
    // that tools/scripts/test.sh stops it if it was test.sh that started the first one.
    void restore();

private:
    bool restored_ = false;
};

}  // namespace testsupport
