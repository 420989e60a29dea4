// The one unique_ptr deleter for OpenSSL objects, shared by every module that owns them (pki,
// tpm, tss, auth): an OpenSSL free function as a stateless deleter, so an owning pointer is the
// size of a raw one. Header-only and OpenSSL-free: the free function comes with the type.
#pragma once

namespace dps {

template <auto FreeFn>
struct OpenSslDeleter {
  template <class T>
  void operator()(T* p) const noexcept {
    FreeFn(p);
  }
};

}  // namespace dps
