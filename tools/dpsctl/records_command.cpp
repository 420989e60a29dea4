#include "records_command.hpp"

#include <CLI/CLI.hpp>
#include <memory>

#include "api_resource.hpp"
#include "exit_codes.hpp"
#include "record_status.hpp"

namespace dps::dpsctl {
// Named so that the three command files can share one unity batch (cmake/build_speed.cmake).
namespace record_verbs {
namespace {

using nlohmann::json;

ApiResource records_of(Session& session) {
  return ApiResource(session.client, "/api/v1/provisioning-records", "provisioning record");
}

// OWNER is the record's `owner` as --json shows it (the owner the API filters on), not the
// UUID the ownership step derived from it for the device. GROUP is the enrollment group, or the
// device's individual enrollment when that admitted it.
std::vector<std::string> record_row(const json& record) {
  std::string enrollment = text_at(record, {"enrollmentGroupId"});
  if (enrollment.empty()) enrollment = text_at(record, {"individualEnrollmentId"});
  return {record_time(record),           text_at(record, {"id"}),
          text_at(record, {"deviceId"}), enrollment,
          text_at(record, {"owner"}),    record_status(record),
          failure_reason(record)};
}

const TableShape& record_table() {
  static const TableShape shape{{"TIME", "ID", "DEVICE-ID", "GROUP", "OWNER", "STATUS", "REASON"},
                                record_row};
  return shape;
}

struct Filters {
  std::vector<std::string> ids;
  std::vector<std::string> device_ids;
  std::vector<std::string> group_ids;

  Query query() const {
    Query out;
    add_filter(out, "idFilter", ids);
    add_filter(out, "deviceIdFilter", device_ids);
    add_filter(out, "enrollmentGroupIdFilter", group_ids);
    return out;
  }
};

void add_filter_options(CLI::App& verb, Filters& filters) {
  verb.add_option("--id", filters.ids, "Record id; repeat")->allow_extra_args(false);
  verb.add_option("--device", filters.device_ids, "Device id; repeat")->allow_extra_args(false);
  verb.add_option("--group", filters.group_ids, "Enrollment group id; repeat")
      ->allow_extra_args(false);
}

void add_list(CLI::App& resource, CommandLine& line) {
  auto filters = std::make_shared<Filters>();
  auto* verb = add_verb(resource, line, "list",
                        "List provisioning records (filters OR together): when each last "
                        "changed, each step's outcome, and why a step failed or the device was "
                        "refused",
                        [filters](Session& session) {
                          Query query = filters->query();
                          // The table reads dps's own view: only there does the attestation
                          // section keep the reason a device was refused at the handshake.
                          // --json prints the API's default (plgd's) view unchanged.
                          if (!session.printer.json_output()) query.emplace_back("view", "ocf");
                          session.printer.objects(records_of(session).list(query), record_table(),
                                                  "provisioning records");
                        });
  add_filter_options(*verb, *filters);
}

void add_delete(CLI::App& resource, CommandLine& line) {
  auto filters = std::make_shared<Filters>();
  auto* verb = add_verb(
      resource, line, "delete",
      "Delete provisioning records matching any filter (at least one required; the API itself "
      "would delete every record without one)",
      [filters](Session& session) {
        // The API deletes every record of the owner when no filter is given; dpsctl refuses.
        if (filters->query().empty()) {
          throw CliError(ExitCode::Usage,
                         "records delete: give at least one of --id, --device, --group");
        }
        session.printer.deleted(records_of(session).remove(filters->query()), "record(s)");
      });
  add_filter_options(*verb, *filters);
}

}  // namespace
}  // namespace record_verbs

void add_records_command(CLI::App& app, CommandLine& line) {
  CLI::App* resource = add_resource(app, "records", "provisioning-records",
                                    "Provisioning records: what each device went through");
  record_verbs::add_list(*resource, line);
  record_verbs::add_delete(*resource, line);
}

}  // namespace dps::dpsctl
