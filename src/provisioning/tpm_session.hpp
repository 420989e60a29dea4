// A device session without a client certificate (device-protocol §5): the TPM attestation it runs
// and what it may reach before and after. Transport-free: the device session feeds it each request
// (and, for a challenge, the store's answer), and routes what it allows through the Router with
// peer().
//
//   before attestation: POST tpm/challenge, POST tpm/activation and GET the time; anything else
//                       4.01 (no client certificate);
//   the activation:     checked (tpm_attestation.hpp), then answered as the credentials step with
//                       the CSR the TPM certified;
//   after it:           ownership and the time, as on a manufacturer session; the rest is for the
//                       identity-certificate session the device opens next (4.03 here).
//
// One challenge per session: a device that got a challenge wrong reconnects for a new one, so a
// session cannot be used to grind at one EK. Not thread-safe: one per device session.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <variant>

#include "coap/message.hpp"
#include "common/result.hpp"
#include "provisioning/step.hpp"
#include "provisioning/tpm_attestation.hpp"
#include "store/entities.hpp"

namespace dps::provisioning {

class Catalog;

class TpmSession {
 public:
  /// Read the individual enrollment of this EK (Store::find_individual_enrollment), then call
  /// finish_challenge() with the answer.
  struct LookUp {
    std::string ek_sha256;
  };
  /// Route `request` through the Router with peer(); `first` adds the record's attestation
  /// section (the activation's credentials).
  struct Route {
    coap::Message request;
    bool first = false;
  };
  /// Answer with the StepResult (its record, if any, committed first).
  using Next = std::variant<StepResult, LookUp, Route>;

  Next begin(const coap::Message& request, std::chrono::system_clock::time_point now,
             std::chrono::steady_clock::time_point steady_now);

  /// The challenge's answer, once the store answered the LookUp (`found`): which enrollment
  /// admits the EK, decided as for a certificate device (its individual enrollment unless a TPM
  /// group of another owner admits it by its EK certificate), the keys checked, the credential
  /// made.
  StepResult finish_challenge(const coap::Message& request,
                              const Result<std::optional<store::IndividualEnrollment>>& found,
                              const Catalog& catalog, std::chrono::system_clock::time_point now,
                              std::chrono::steady_clock::time_point steady_now);

  /// Who the session serves: empty until a challenge named an enrollment; the device's identity
  /// (record id, enrollment, EK hash, certified key) once it did.
  const PeerIdentity& peer() const { return peer_; }
  bool attested() const { return attested_; }

 private:
  Next challenge(const coap::Message& request);
  Next activation(const coap::Message& request, std::chrono::system_clock::time_point now,
                  std::chrono::steady_clock::time_point steady_now);
  /// A refusal the enrollment's owner reads in the device's record (code and reason in its
  /// attestation section), and the device in the answer.
  StepResult refuse_on_record(const coap::Message& request, coap::Code code, const Error& why,
                              std::string_view stage, std::chrono::system_clock::time_point now);

  PeerIdentity peer_;
  std::string enrollment_owner_;  // of peer_'s enrollment, for refusal records
  std::optional<tpm_attestation::ChallengeRequest> requested_;  // between begin and finish
  tpm::PublicArea endorsement_key_;                             // parsed from requested_
  std::optional<tpm_attestation::Challenge> challenge_;
  bool challenged_ = false;
  bool attested_ = false;
};

}  // namespace dps::provisioning
