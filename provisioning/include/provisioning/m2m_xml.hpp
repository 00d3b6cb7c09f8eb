// Strict reading and writing of the small XML documents of namespace http://uri.etsi.org/m2m
// (parameter sets, mId resources), shared by provisioning and agent; the readers take another
// namespace where a document has one (the BSF's BootstrappingInfo, uri:3gpp-gba). pugixml knows
// no namespaces, so prefixes are resolved here by walking the xmlns declarations up the tree.
// Every error is a ParamSetError that names the document and the field, never the document's
// text.
#pragma once

#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <pugixml.hpp>
#include <sstream>
#include <string>
#include <string_view>

#include "provisioning/param_sets.hpp"

namespace provisioning::m2mxml {

// Larger bodies are refused before parsing: none of these documents comes near it, and a peer
// that sends more is either broken or hostile.
inline constexpr std::size_t kMaxDocumentBytes = 64 * 1024;
inline constexpr const char* kPrefix = "m2m";

[[noreturn]] inline void fail(std::string_view document, std::string_view what) {
    throw ParamSetError(std::string(document) + ": " + std::string(what));
}

inline std::string_view localName(std::string_view qname) {
    const auto colon = qname.find(':');
    return colon == std::string_view::npos ? qname : qname.substr(colon + 1);
}

inline std::string_view prefixOf(std::string_view qname) {
    const auto colon = qname.find(':');
    return colon == std::string_view::npos ? std::string_view{} : qname.substr(0, colon);
}

// The namespace URI bound to `prefix` ("" = the default namespace) in scope at `node`, or
// nullopt when nothing binds it.
inline std::optional<std::string> namespaceFor(pugi::xml_node node, std::string_view prefix) {
    const std::string attribute = prefix.empty() ? "xmlns" : "xmlns:" + std::string(prefix);
    for (pugi::xml_node n = node; n && n.type() == pugi::node_element; n = n.parent()) {
        if (const pugi::xml_attribute a = n.attribute(attribute.c_str())) {
            return std::string(a.value());
        }
    }
    return std::nullopt;
}

inline bool isM2mElement(pugi::xml_node element, std::string_view local,
                         std::string_view ns = kM2mNamespace) {
    if (element.type() != pugi::node_element || localName(element.name()) != local) {
        return false;
    }
    const auto bound = namespaceFor(element, prefixOf(element.name()));
    return bound && *bound == ns;
}

// Parses `xml` and returns its root element, which must be `rootLocal` in namespace `ns`
// (m2m:`rootLocal` by default). Refuses oversized input, malformed XML, a DOCTYPE (no entity
// games), and any securityM2MKey anywhere: the device side never receives a key in a document.
inline pugi::xml_node parseRoot(pugi::xml_document& doc, std::string_view xml,
                                std::string_view rootLocal, std::string_view ns = kM2mNamespace) {
    const std::string document = (ns == kM2mNamespace ? "m2m:" : "") + std::string(rootLocal);
    if (xml.size() > kMaxDocumentBytes) {
        fail(document, "document larger than " + std::to_string(kMaxDocumentBytes) + " bytes");
    }
    const pugi::xml_parse_result result = doc.load_buffer(
        xml.data(), xml.size(), pugi::parse_default | pugi::parse_doctype | pugi::parse_fragment,
        pugi::encoding_utf8);
    if (!result) {
        fail(document, std::string("malformed XML at offset ") + std::to_string(result.offset) +
                           " (" + result.description() + ")");
    }
    pugi::xml_node root;
    for (pugi::xml_node n : doc.children()) {
        if (n.type() == pugi::node_doctype) {
            fail(document, "DOCTYPE not allowed");
        }
        if (n.type() == pugi::node_element) {
            if (root) {
                fail(document, "more than one root element");
            }
            root = n;
        } else if (n.type() == pugi::node_pcdata || n.type() == pugi::node_cdata) {
            fail(document, "malformed XML (text outside the root element)");
        }
    }
    if (!root) {
        fail(document, "no root element");
    }
    if (localName(root.name()) != rootLocal) {
        fail(document, "wrong root element");
    }
    if (!isM2mElement(root, rootLocal, ns)) {
        fail(document, "root element not in namespace " + std::string(ns));
    }
    struct KeyFinder : pugi::xml_tree_walker {
        bool found = false;
        bool for_each(pugi::xml_node& node) override {
            if (node.type() == pugi::node_element && localName(node.name()) == "securityM2MKey") {
                found = true;
                return false;
            }
            return true;
        }
    } finder;
    root.traverse(finder);
    if (finder.found || localName(root.name()) == "securityM2MKey") {
        fail(document, "securityM2MKey must not be sent to the device");
    }
    return root;
}

// The one m2m:`local` (or `ns`:`local`) child of `parent`; an empty node when there is none;
// refuses two.
inline pugi::xml_node optionalChild(pugi::xml_node parent, std::string_view local,
                                    std::string_view document,
                                    std::string_view ns = kM2mNamespace) {
    pugi::xml_node found;
    for (pugi::xml_node n : parent.children()) {
        if (isM2mElement(n, local, ns)) {
            if (found) {
                fail(document, std::string(local) + " given twice");
            }
            found = n;
        }
    }
    return found;
}

inline pugi::xml_node requiredChild(pugi::xml_node parent, std::string_view local,
                                    std::string_view document,
                                    std::string_view ns = kM2mNamespace) {
    const pugi::xml_node n = optionalChild(parent, local, document, ns);
    if (!n) {
        fail(document, "missing " + std::string(local));
    }
    return n;
}

// The character content of a simple-typed element, with XML white space trimmed at both ends
// (xs:collapse for the types used here). An element inside a text field is refused.
inline std::string textOf(pugi::xml_node element, std::string_view field,
                          std::string_view document) {
    std::string text;
    for (pugi::xml_node n : element.children()) {
        if (n.type() == pugi::node_pcdata || n.type() == pugi::node_cdata) {
            text += n.value();
        } else if (n.type() == pugi::node_element) {
            fail(document, std::string(field) + ": unexpected element content");
        }
    }
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) {
        return {};
    }
    const auto last = text.find_last_not_of(" \t\r\n");
    return text.substr(first, last - first + 1);
}

inline std::string requiredText(pugi::xml_node parent, std::string_view local,
                                std::string_view document, std::string_view ns = kM2mNamespace) {
    std::string text = textOf(requiredChild(parent, local, document, ns), local, document);
    if (text.empty()) {
        fail(document, std::string(local) + " is empty");
    }
    return text;
}

inline std::optional<std::string> optionalText(pugi::xml_node parent, std::string_view local,
                                               std::string_view document) {
    const pugi::xml_node n = optionalChild(parent, local, document);
    if (!n) {
        return std::nullopt;
    }
    return textOf(n, local, document);
}

// The value of attribute m2m:`local` (any prefix bound to the m2m namespace).
inline std::optional<std::string> optionalAttribute(pugi::xml_node element, std::string_view local,
                                                    std::string_view document) {
    std::optional<std::string> found;
    for (pugi::xml_attribute a : element.attributes()) {
        const std::string_view name = a.name();
        const std::string_view prefix = prefixOf(name);
        if (prefix.empty() || prefix == "xmlns" || localName(name) != local) {
            continue;
        }
        const auto ns = namespaceFor(element, prefix);
        if (ns && *ns == kM2mNamespace) {
            if (found) {
                fail(document, std::string(local) + " given twice");
            }
            found = a.value();
        }
    }
    return found;
}

template <typename Unsigned>
Unsigned parseUnsigned(std::string_view text, std::string_view field, std::string_view document) {
    Unsigned value = 0;
    const char* end = text.data() + text.size();
    if (text.empty() || text.front() < '0' || text.front() > '9') {
        fail(document, std::string(field) + " is not an unsigned number");
    }
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec == std::errc::result_out_of_range) {
        fail(document, std::string(field) + " out of range");
    }
    if (ec != std::errc{} || ptr != end) {
        fail(document, std::string(field) + " is not an unsigned number");
    }
    return value;
}

// A new document whose root is m2m:`rootLocal` with the m2m namespace declared on it; with
// another `ns`, an unprefixed root declaring `ns` as the default namespace (its children are
// then written without a prefix too).
inline pugi::xml_node newRoot(pugi::xml_document& doc, std::string_view rootLocal,
                              std::string_view ns = kM2mNamespace) {
    pugi::xml_node decl = doc.append_child(pugi::node_declaration);
    decl.append_attribute("version") = "1.0";
    decl.append_attribute("encoding") = "UTF-8";
    if (ns != kM2mNamespace) {
        pugi::xml_node root = doc.append_child(std::string(rootLocal).c_str());
        root.append_attribute("xmlns") = std::string(ns).c_str();
        return root;
    }
    pugi::xml_node root = doc.append_child(("m2m:" + std::string(rootLocal)).c_str());
    root.append_attribute("xmlns:m2m") = kM2mNamespace;
    return root;
}

inline pugi::xml_node addElement(pugi::xml_node parent, std::string_view local) {
    return parent.append_child(("m2m:" + std::string(local)).c_str());
}

inline void addText(pugi::xml_node parent, std::string_view local, const std::string& value) {
    addElement(parent, local).text().set(value.c_str());
}

inline std::string serialise(const pugi::xml_document& doc) {
    std::ostringstream out;
    doc.save(out, "  ", pugi::format_default, pugi::encoding_utf8);
    return out.str();
}

}  // namespace provisioning::m2mxml
