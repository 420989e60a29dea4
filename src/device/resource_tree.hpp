// The simulated device's resources, which the pre-configuration step updates (device-protocol
// "Pre-configuration of device resources"). A real device can update only resources it has and
// only as each allows, so the tree answers an update as the device's resource would: an unknown
// href is 4.04, a read-only resource 4.05, a read-only property 4.00. The failures reach dps in the
// device's report; the step itself still succeeds.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace dps::device {

class ResourceTree {
 public:
  /// What a device built like iotivity-lite's cloud_server sample holds: /oic/d (name, di) and
  /// /oic/p, both read-only; /oc/con, where the name is configured; /light/1, a vendor light.
  static ResourceTree simulated(std::string_view device_id);

  /// Adds (or replaces) a resource. `representation_json` must be a JSON object.
  void add(std::string href, std::string_view representation_json, bool writable);

  /// Applies an update (OCF UPDATE, partial): each property given replaces or joins the
  /// resource's, the others stay. All or nothing.
  /// @return "" when applied, else the CoAP code the resource answers: "4.04" unknown href,
  ///         "4.05" read-only resource, "4.00" not a JSON object or a read-only property (rt, if).
  std::string update(std::string_view href, std::string_view representation_json);

  /// The resource as JSON text, nullopt when the device has none at `href`.
  std::optional<std::string> get(std::string_view href) const;

  /// Every resource, href → JSON text.
  std::map<std::string, std::string> snapshot() const;

 private:
  struct Resource {
    std::string representation_json;
    bool writable = false;
  };
  std::map<std::string, Resource, std::less<>> resources_;
};

}  // namespace dps::device
