#include "explain_command.hpp"

#include <CLI/CLI.hpp>
#include <memory>

#include "api_resource.hpp"
#include "exit_codes.hpp"
#include "local_file.hpp"

namespace dps::dpsctl {
// Named so that the command files can share one unity batch (cmake/build_speed.cmake).
namespace explain_verb {
namespace {

using nlohmann::json;

struct Options {
  std::string certificate_file;
  std::string chain_file;
};

// "enrollment group <id> (<name>)" for a reference of the answer; "" when absent.
std::string reference_text(const json& answer, const char* key) {
  const std::string id = text_at(answer, {key, "id"});
  if (id.empty()) return {};
  const std::string kind = text_at(answer, {key, "kind"}) == "individualEnrollment"
                               ? "individual enrollment "
                               : "enrollment group ";
  const std::string name = text_at(answer, {key, "name"});
  return kind + id + (name.empty() || name == id ? "" : " (" + name + ")");
}

std::vector<std::string> candidate_row(const json& candidate) {
  const bool admits = candidate.value("admits", false);
  return {text_at(candidate, {"kind"}) == "individualEnrollment" ? "individual" : "group",
          text_at(candidate, {"id"}), text_at(candidate, {"name"}),
          admits ? "yes" : "no (" + text_at(candidate, {"refusal"}) + ")",
          text_at(candidate, {"reason"})};
}

const TableShape& candidate_table() {
  static const TableShape shape{{"KIND", "ID", "NAME", "ADMITS", "REASON"}, candidate_row};
  return shape;
}

// For people: the verdict, the enrollment deciding it, why, the certificate, then every
// candidate. --json prints the API's answer unchanged.
void print(Printer& printer, const json& answer, bool admitted) {
  if (printer.json_output()) {
    printer.object(answer, candidate_table());
    return;
  }
  const json& cert = answer.contains("certificate") ? answer["certificate"] : json::object();
  std::vector<std::string> overlapping = strings_at(answer, "overlapping");
  std::string others;
  for (const auto& id : overlapping) others += (others.empty() ? "" : ", ") + id;
  // Keys as the lines read: a DetailShape shows its fields in order.
  const std::string enrollment_key = admitted ? "enrollment" : "refused-by";
  json summary{
      {"verdict", admitted ? "admitted" : "refused (" + text_at(answer, {"refusal"}) + ")"},
      {enrollment_key, reference_text(answer, admitted ? "enrollment" : "refusedBy")},
      {"reason", text_at(answer, {"reason"})},
      {"certificate", text_at(cert, {"subject"}) + ", serial " + text_at(cert, {"serialNumber"}) +
                          ", valid " + text_at(cert, {"notBefore"}) + " to " +
                          text_at(cert, {"notAfter"})},
      {"key-sha256", text_at(cert, {"publicKeySha256"})}};
  DetailShape shape{show::text("verdict"), show::text(enrollment_key)};
  if (!others.empty()) {
    summary["overlapping"] = others;
    shape.push_back(show::text("overlapping"));
  }
  for (const char* key : {"reason", "certificate", "key-sha256"}) shape.push_back(show::text(key));
  if (summary[enrollment_key] == "") summary[enrollment_key] = "none";
  printer.details(summary, shape);
  printer.line("");
  std::vector<json> candidates;
  if (answer.contains("candidates") && answer["candidates"].is_array()) {
    for (const auto& candidate : answer["candidates"]) candidates.push_back(candidate);
  }
  printer.objects(candidates, candidate_table(), "candidate enrollments");
}

}  // namespace
}  // namespace explain_verb

void add_explain_command(CLI::App& app, CommandLine& line) {
  auto options = std::make_shared<explain_verb::Options>();
  CLI::App* verb = add_verb(
      app, line, "explain",
      "Explain which of your enrollments would admit a device presenting CERT (PEM), and why, "
      "without provisioning anything: the verdict, the deciding enrollment, the reason and every "
      "candidate (your own enrollments only). Exits 0 when admitted, 6 when refused",
      [options](Session& session) {
        std::string chain = read_local_file(options->certificate_file, "CERT");
        if (!options->chain_file.empty()) {
          if (!chain.empty() && chain.back() != '\n') chain += '\n';
          chain += read_local_file(options->chain_file, "--chain");
        }
        ApiResource explain(session.client, "/api/v1/explain", "explanation");
        const json answer = explain.create(json{{"certificateChain", chain}});
        const bool admitted = answer.value("admitted", false);
        explain_verb::print(session.printer, answer, admitted);
        if (!admitted) {
          throw CliError(ExitCode::NotAdmitted,
                         "not admitted (" + text_at(answer, {"refusal"}) + ")");
        }
      });
  verb->add_option("certificate", options->certificate_file,
                   "CERT: the device's certificate (PEM), as the device presents it")
      ->required();
  verb->add_option("--chain", options->chain_file,
                   "The intermediate certificates (PEM) the device sends after its certificate");
}

}  // namespace dps::dpsctl
