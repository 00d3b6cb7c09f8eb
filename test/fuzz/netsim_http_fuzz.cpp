// The lab network's HTTP request handling (tools/netsim/): the input is what a client sends on a
// connection after the TLS handshake. cpp-httplib's own server parses it (httplib::Server's
// process_request on an in-memory stream: the real request parser, Expect handling, body reading
// and keep-alive loop, without TLS or sockets), our http_rules.cpp judge each request head, and the
// mId endpoint's routes (nscl_mid.cpp) answer it from a fresh store that knows one node with a
// registration, an application and a container, so paths and XML bodies reach the store. The node
// has an attestation key and an integrity policy, so a registration's or refresh's
// integrityValResults and its EAT reach the appraisal (nscl_integrity.cpp); without a signature
// the attestation key made here verifies, they stop at the signature check. The node is also a
// gateway (nscl_gateway.cpp): its last report lists device ab…ab (full, unregistered) and cd…cd
// (partial, registered through it as SCL 2 with application "telemetry").
//
// What is not driven here: the TLS layer and the connection watchdog (they need a socket); the
// MSBF and connection routes (they need the TLS session's exporter). The PSK server's own
// refusal handler (psk_server.cpp refuseHead) is reduced to its rule: checkHead, answer, close.
#include <cstdint>
#include <stdexcept>
#include <string>

#include <httplib.h>

#include "base/log.hpp"
#include "endpoints.hpp"
#include "fuzz_support.hpp"
#include "integrity/manifest.hpp"
#include "securechannel/tls/server/http_rules.hpp"

namespace {

constexpr securechannel::tls::server::http::HeadLimits kLimits{8 * 1024, 64 * 1024};
constexpr std::size_t kMaxRequestsPerConnection = 8;

// The client's bytes to read, the answers written to nowhere.
class MemoryStream final : public httplib::Stream {
public:
    explicit MemoryStream(std::string_view input) : input_(input) {}

    bool is_readable() const override { return true; }
    bool is_writable() const override { return true; }
    ssize_t read(char* ptr, size_t size) override {
        const std::size_t n = std::min(size, input_.size());
        std::copy_n(input_.data(), n, ptr);
        input_.remove_prefix(n);
        return static_cast<ssize_t>(n);
    }
    ssize_t write(const char*, size_t size) override { return static_cast<ssize_t>(size); }
    void get_remote_ip_and_port(std::string& ip, int& port) const override {
        ip = "127.0.0.1";
        port = 40000;
    }
    void get_local_ip_and_port(std::string& ip, int& port) const override {
        ip = "127.0.0.1";
        port = 8443;
    }
    socket_t socket() const override { return INVALID_SOCKET; }
    bool exhausted() const { return input_.empty(); }

private:
    std::string_view input_;
};

// httplib's server with the netsim's rules and the mId routes, serving one in-memory connection.
class Server final : public httplib::Server {
public:
    Server(netsim::EndpointContext& context, netsim::PskConnection& connection) {
        set_payload_max_length(kLimits.maxBodyBytes);
        set_expect_100_continue_handler(
            [](const httplib::Request& request, httplib::Response& response) {
                return refused(request, response) ? response.status : 100;
            });
        set_pre_routing_handler([](const httplib::Request& request, httplib::Response& response) {
            return refused(request, response) ? HandlerResponse::Handled
                                              : HandlerResponse::Unhandled;
        });
        // httplib turns a handler's exception into a 500; every request must get the routes' own
        // answer instead, so an exception here is a finding.
        set_exception_handler([](const httplib::Request&, httplib::Response&,
                                 std::exception_ptr error) { std::rethrow_exception(error); });
        const Handler route = [&context, &connection](const httplib::Request& request,
                                                      httplib::Response& response) {
            netsim::routeMid(request, response, connection, context);
        };
        Get(".*", route);
        Post(".*", route);
        Put(".*", route);
        Delete(".*", route);
        Patch(".*", route);
        Options(".*", route);
    }

    // httplib's keep-alive loop over one connection, without its socket polling.
    void serve(MemoryStream& stream) {
        bool closed = false;
        for (std::size_t i = 0; i < kMaxRequestsPerConnection && !closed && !stream.exhausted();
             ++i) {
            if (!process_request(stream, false, closed, nullptr)) {
                break;
            }
        }
    }

private:
    static bool refused(const httplib::Request& request, httplib::Response& response) {
        const auto refusal = securechannel::tls::server::http::checkHead(request, kLimits);
        if (!refusal) {
            return false;
        }
        securechannel::tls::server::http::setError(response, refusal->status, refusal->reason);
        response.set_header("Connection", "close");
        return true;
    }
};

// A fresh store for each input, so that no input depends on what an earlier one created: one
// node (the connection's owner), registered as SCL 1 with application "telemetry" and container
// "readings".
// The keys and the reference manifest: made once, the same for every input.
struct IntegrityFixture {
    integrity::PrivateKey policyKey = integrity::PrivateKey::generate();
    std::string attestationKey = integrity::PrivateKey::generate().publicKey().pem();
    base::Bytes manifest;

    IntegrityFixture() {
        integrity::Manifest m;
        m.version = 1;
        m.objects.push_back({"@agent", base::Bytes(32, 0xA5), true, {}});
        manifest = integrity::CoseSign1::sign(policyKey, m.encodePayload(), std::nullopt).encode();
    }
};

std::unique_ptr<netsim::Store> freshStore(const fuzz::ScratchFile& file,
                                          const IntegrityFixture& integrity) {
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
        std::filesystem::remove(file.path().string() + suffix);
    }
    auto store = std::make_unique<netsim::Store>(file.path());
    netsim::ImportRecord node;
    node.node.sclId = "scl-fuzz";
    node.node.nscl = {"nscl.lab.m2m"};
    node.node.masFqdn = "mas.lab.m2m";
    node.node.iccid = "8988211000000000018";
    node.node.kmrIndex = 1;
    node.attestationKeyPem = integrity.attestationKey;
    store->importNode(node);
    store->setPolicy("", {integrity.manifest, "partial", {"applications/telemetry"}});
    const netsim::Registration r = store->registerScl("", "scl-fuzz", "coap://device", 3600);
    const auto application = store->createApplication(r.id, "telemetry").first;
    static_cast<void>(store->createContainer(application, "readings"));
    const std::string full(32, 'a'), partial(32, 'c');
    static_cast<void>(store->replaceGatewayDevices(
        "",
        {{full, "full", {}, true, 3}, {partial, "partial", {"applications/telemetry"}, false, {}}},
        false));
    const netsim::Registration device =
        store->registerDeviceScl("", partial, "m2m:scl/" + partial, "coap://gateway", 3600);
    static_cast<void>(store->createApplication(device.id, "telemetry"));
    return store;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::quietLogs();
    static fuzz::ScratchFile storeFile("netsim.db");
    static securechannel::tls::server::ConnectionWatchdog watchdog(
        {std::chrono::seconds(10), std::chrono::seconds(10), std::chrono::seconds(30)},
        kLimits.maxHeadBytes + kLimits.maxBodyBytes, [] {});
    // The connection as the PSK server hands it to a route: its owner is the node whose Kmc
    // opened it (the store's node ""; the handshake is not run, so there is no SSL behind it).
    securechannel::tls::server::PskConnection connection(nullptr, -1, 1, watchdog);
    static const IntegrityFixture integrity;
    const auto store = freshStore(storeFile, integrity);
    netsim::EndpointContext context{*store, {}, {}, {&integrity.policyKey, false}};
    Server server(context, connection);
    MemoryStream stream(fuzz::text(data, size));
    server.serve(stream);
    return 0;
}
