#include "groups_command.hpp"

#include <CLI/CLI.hpp>
#include <memory>

#include "api_resource.hpp"
#include "group_body.hpp"
#include "possession_proof.hpp"
#include "table.hpp"

namespace dps::dpsctl {
// Named so that the three command files can share one unity batch (cmake/build_speed.cmake).
namespace group_verbs {
namespace {

using nlohmann::json;

ApiResource groups_of(Session& session) {
  return ApiResource(session.client, "/api/v1/enrollment-groups", "enrollment group");
}

std::vector<std::string> group_row(const json& group) {
  const auto disabled = group.find("disabled");
  const bool is_disabled =
      disabled != group.end() && disabled->is_boolean() && disabled->get<bool>();
  return {text_at(group, {"id"}), text_at(group, {"name"}), join(strings_at(group, "hubIds")),
          is_tpm_group(group)
              ? "tpm: " + text_at(group, {"attestationMechanism", "tpm", "leadCertificateName"})
              : text_at(group, {"attestationMechanism", "x509", "leadCertificateName"}),
          is_disabled ? "yes" : "no"};
}

const TableShape& group_table() {
  static const TableShape shape{{"ID", "NAME", "HUBS", "LEAD-CERTIFICATE", "DISABLED"}, group_row};
  return shape;
}

// `get`: every field, the settings a device's admission depends on always (even when unset),
// the PSK only as set or not. `mechanism` is "x509" (a manufacturer chain) or "tpm" (a TPM
// vendor's CA), `chain` its chain's field.
DetailShape group_details_of(const std::string& mechanism, const std::string& chain) {
  const std::string prefix = "attestationMechanism." + mechanism + ".";
  return DetailShape{show::text("id"),
                     show::text("name"),
                     show::text("owner"),
                     show::list("hubIds"),
                     show::boolean("disabled", false),
                     show::text(prefix + "leadCertificateName"),
                     show::pem(prefix + chain, "none"),
                     show::boolean(prefix + "expiredCertificateEnabled", false),
                     show::list("revokedCertificates"),
                     show::pem("crl", "none"),
                     show::secret("preSharedKey"),
                     show::text("templateId", "none")};
}

const DetailShape& group_details() {
  static const DetailShape shape = group_details_of("x509", "certificateChain");
  return shape;
}

const DetailShape& tpm_group_details() {
  static const DetailShape shape = group_details_of("tpm", "vendorCertificateChain");
  return shape;
}

struct ListFilters {
  std::vector<std::string> ids;
  std::vector<std::string> hub_ids;
  std::vector<std::string> certificate_names;
};

void add_list(CLI::App& resource, CommandLine& line) {
  auto filters = std::make_shared<ListFilters>();
  auto* verb = add_verb(
      resource, line, "list", "List enrollment groups (filters OR together)",
      [filters](Session& session) {
        Query query;
        add_filter(query, "idFilter", filters->ids);
        add_filter(query, "hubIdFilter", filters->hub_ids);
        add_filter(query, "attestationMechanismX509CertificateNames", filters->certificate_names);
        session.printer.objects(groups_of(session).list(query), group_table(), "enrollment groups");
      });
  verb->add_option("--id", filters->ids, "Group id; repeat")->allow_extra_args(false);
  verb->add_option("--hub", filters->hub_ids, "Groups sending devices to this hub id; repeat")
      ->allow_extra_args(false);
  verb->add_option("--certificate-name", filters->certificate_names,
                   "Groups whose lead certificate has this CN; repeat")
      ->allow_extra_args(false);
}

void add_get(CLI::App& resource, CommandLine& line) {
  auto id = std::make_shared<std::string>();
  auto* verb = add_verb(resource, line, "get", "Show one enrollment group", [id](Session& session) {
    const json group = groups_of(session).get(*id);
    session.printer.details(group, is_tpm_group(group) ? tpm_group_details() : group_details());
  });
  verb->add_option("id", *id, "Group id")->required();
}

// Options of create and update: the group's fields and a proof of possession of its CA.
struct GroupWrite {
  GroupOptions group;
  ProofOptions proof;
};

// The body with its proofOfPossession when one was asked for (possession_proof.hpp).
// `update_id`: the group an update changes (null on create), read first only when the body
// depends on its kind.
json group_write_body(Session& session, const GroupWrite& write, const std::string* update_id) {
  const bool tpm_group = update_id != nullptr && needs_stored_kind(write.group) &&
                         is_tpm_group(groups_of(session).get(*update_id));
  json body = group_patch(write.group, /*create=*/update_id == nullptr, tpm_group);
  // Only a new chain needs a proof (a TPM group's vendor chain too); the mechanism may carry
  // other settings alone (--expired-certificates-allowed, --lead-certificate-name).
  const json* chain = nullptr;
  if (auto mechanism = body.find("attestationMechanism"); mechanism != body.end()) {
    for (const auto& [kind, field] :
         {std::pair{"x509", "certificateChain"}, std::pair{"tpm", "vendorCertificateChain"}}) {
      const auto member = mechanism->find(kind);
      if (member == mechanism->end() || !member->is_object()) continue;
      if (auto found = member->find(field); found != member->end()) chain = &*found;
    }
  }
  if (auto proof = possession_proof(session, write.proof, chain ? chain->get<std::string>() : "")) {
    body["proofOfPossession"] = std::move(*proof);
  }
  return body;
}

void add_create(CLI::App& resource, CommandLine& line) {
  auto write = std::make_shared<GroupWrite>();
  auto* verb = add_verb(
      resource, line, "create",
      "Create an enrollment group (its id is generated by dps). dps asks for proof that the CA is "
      "yours unless its operator turned that off: give --proof-key",
      [write](Session& session) {
        session.printer.object(
            groups_of(session).create(group_write_body(session, *write, nullptr)), group_table());
      });
  add_group_options(*verb, write->group, /*create=*/true);
  add_proof_options(*verb, write->proof);
}

void add_update(CLI::App& resource, CommandLine& line) {
  auto id = std::make_shared<std::string>();
  auto write = std::make_shared<GroupWrite>();
  auto* verb =
      add_verb(resource, line, "update",
               "Change an enrollment group: fields not given keep their value (GET, "
               "change, PUT). A new --chain needs a proof of possession (--proof-key)",
               [id, write](Session& session) {
                 session.printer.object(
                     groups_of(session).update(*id, group_write_body(session, *write, id.get())),
                     group_table());
               });
  verb->add_option("id", *id, "Group id")->required();
  add_group_options(*verb, write->group, /*create=*/false);
  add_proof_options(*verb, write->proof);
}

void add_verification_code(CLI::App& resource, CommandLine& line) {
  static const TableShape code_table{
      {"CODE", "EXPIRES-AT"}, [](const json& code) {
        return std::vector<std::string>{text_at(code, {"code"}), text_at(code, {"expiresAt"})};
      }};
  add_verb(resource, line, "verification-code",
           "Get a single-use code for a proof of possession made elsewhere: sign a certificate "
           "with subject CN=<code> with the CA's key, then pass --verification-code and "
           "--proof-certificate to create or update",
           [](Session& session) {
             session.printer.object(request_verification_code(session), code_table);
           });
}

void add_delete(CLI::App& resource, CommandLine& line) {
  auto ids = std::make_shared<std::vector<std::string>>();
  auto* verb =
      add_verb(resource, line, "delete", "Delete enrollment groups by id", [ids](Session& session) {
        Query query;
        add_filter(query, "idFilter", *ids);
        session.printer.deleted(groups_of(session).remove(query), "enrollment group(s)");
      });
  verb->add_option("ids", *ids, "Group ids")->required();
}

}  // namespace
}  // namespace group_verbs

void add_groups_command(CLI::App& app, CommandLine& line) {
  CLI::App* resource =
      add_resource(app, "enrollment-groups", "groups",
                   "Enrollment groups: which manufacturer chains are admitted, and to which hubs "
                   "their devices go");
  group_verbs::add_list(*resource, line);
  group_verbs::add_get(*resource, line);
  group_verbs::add_create(*resource, line);
  group_verbs::add_update(*resource, line);
  group_verbs::add_delete(*resource, line);
  group_verbs::add_verification_code(*resource, line);
}

}  // namespace dps::dpsctl
