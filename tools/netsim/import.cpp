// `m2m-netsim import`: the network side learns a node from the key export of
// `m2m provision --export-keys` (a 0600 file). Kmsa is the terminal's and is not kept.
#include <iostream>

#include "commands.hpp"
#include "integrity/cose.hpp"
#include "provisioning/key_export.hpp"

namespace netsim {

namespace {

class ImportError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

ImportRecord recordOf(provisioning::KeyExport keys, const ImportOptions& o) {
    ImportRecord r;
    r.node.iccid = keys.iccid;
    r.node.nodeId = nodeHex(keys.nodeId);
    r.node.kmrIndex = keys.kmrIndex;
    r.node.kmrExpiry =
        std::chrono::duration_cast<std::chrono::seconds>(keys.kmrExpiry.time_since_epoch()).count();
    if (!o.withoutKmr) {
        r.kmr = std::move(keys.kmr);
    } else if (!keys.kbs) {
        throw ImportError("--without-kmr needs a Kbs in the export (TLS bootstrap)");
    }
    r.kbs = std::move(keys.kbs);
    r.kiv = std::move(keys.kiv);
    if (keys.imsi) {
        // The USIM's subscription: the BSF's AuC learns it (osmo-hlr through its VTY, when
        // `serve` starts it or first asks it for a vector of this IMSI).
        r.usim = UsimSubscription{*keys.imsi, std::move(*keys.usimK), std::move(*keys.usimOpc)};
    }
    if (keys.ivAttestationPublicKey) {
        // Checked now: a key the NSCL cannot read would refuse every report of the node.
        r.attestationKeyPem = integrity::PublicKey::fromPem(*keys.ivAttestationPublicKey).pem();
    }
    r.node.sclId = o.sclId;
    r.node.nscl = o.nscl;
    r.node.masFqdn = o.masFqdn;
    return r;  // Kmsa is the terminal's: wiped with `keys`, not kept
}

}  // namespace

int runImport(const ImportOptions& options) {
    try {
        const ImportRecord record = recordOf(provisioning::readKeyExport(options.keys), options);
        Store store(options.db);
        store.importNode(record);
        std::cout << "imported node " << record.node.nodeId
                  << (record.node.iccid.empty() ? " (software-only device, no card"
                                                : " (ICCID " + record.node.iccid)
                  << ", KmrIndex " << record.node.kmrIndex
                  << (record.kmr ? "" : ", no Kmr: TLS bootstrap with Kbs required")
                  << (record.kbs ? ", Kbs" : "")
                  << (record.usim ? ", USIM IMSI " + record.usim->imsi : "")
                  << (record.attestationKeyPem ? ", IV-SED attestation key" : "") << ")\n";
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "m2m-netsim import: " << e.what() << "\n";
        return 1;
    }
}

}  // namespace netsim
