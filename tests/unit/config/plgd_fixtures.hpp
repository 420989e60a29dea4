// Config files as plgd writes them, for plgd_config_test.cpp. File paths are made relative so
// the test can provide the files; values are plgd's unless a comment says otherwise.
#pragma once

#include <string_view>

namespace dps::config::testing {

// device-provisioning-service/config.yaml, unchanged but for the paths, with the enrollment group
// plgd's Helm chart renders in its older `hub:` form.
inline constexpr std::string_view kPlgdConfigYaml = R"yaml(
log:
  dumpBody: false
  level: info
  encoding: json
  stacktrace:
    enabled: false
    level: warn
  encoderConfig:
    timeEncoder: rfc3339nano
apis:
  coap:
    address: "0.0.0.0:15684"
    maxMessageSize: 262144
    protocols:
      - "tcp"
    messagePoolSize: 1000
    inactivityMonitor:
      timeout: 20s
    blockwiseTransfer:
      enabled: true
      blockSize: "1024"
    tls:
      keyFile: "secrets/private/cert.key"
      certFile: "secrets/public/cert.crt"
  http:
    enabled: false
    address: "0.0.0.0:9100"
    tls:
      caPool: "secrets/public/rootca.crt"
      keyFile: "secrets/private/cert.key"
      certFile: "secrets/public/cert.crt"
      clientCertificateRequired: true
      crl:
        enabled: false
    authorization:
      ownerClaim: sub
      audience: ""
      endpoints:
        - authority: ""
          http:
            maxIdleConns: 16
            maxConnsPerHost: 32
            maxIdleConnsPerHost: 16
            idleConnTimeout: 30s
            timeout: 10s
            tls:
              caPool: "secrets/public/rootca.crt"
              keyFile: "secrets/private/cert.key"
              certFile: "secrets/public/cert.crt"
              useSystemCAPool: false
              crl:
                enabled: false
      tokenTrustVerification:
        cacheExpiration: 30s
    readTimeout: 8s
    readHeaderTimeout: 4s
    writeTimeout: 16s
    idleTimeout: 30s
clients:
  storage:
    cacheExpiration: 10m
    mongoDB:
      uri:
      database: deviceProvisioningService
      maxPoolSize: 16
      maxConnIdleTime: 4m0s
      tls:
        caPool: "secrets/public/rootca.crt"
        keyFile: "secrets/private/cert.key"
        certFile: "secrets/public/cert.crt"
        useSystemCAPool: false
        crl:
          enabled: false
      bulkWrite:
        timeout: 1m0s
        throttleTime: 500ms
        documentLimit: 1000
  openTelemetryCollector:
    grpc:
      enabled: false
      address: ""
      keepAlive:
        time: 10s
        timeout: 20s
        permitWithoutStream: true
      tls:
        caPool: "secrets/public/rootca.crt"
        keyFile: "secrets/private/cert.key"
        certFile: "secrets/public/cert.crt"
        useSystemCAPool: false
        crl:
          enabled: false
enrollmentGroups:
  - id: "5db6ccde-05e1-480b-a522-c1591ad7dfd2"
    owner: "1"
    preSharedKeyFile: "secrets/enrollmentgroups/psk"
    name: "factory line 1"
    attestationMechanism:
      x509:
        certificateChain: "secrets/enrollmentgroups/certificatechain.crt"
        expiredCertificateEnabled: false
    hub:
      caPool: "certs/ca.crt"
      hubID: "d03a1bb4-0a77-428c-b78c-1c46efe6a38e"
      coapGateway: "coaps+tcp://hub.example.com:5684"
      certificateAuthority:
        grpc:
          address: "api.example.com:443"
          keepAlive:
            time: 10s
            timeout: 20s
            permitWithoutStream: true
          tls:
            caPool: "secrets/public/rootca.crt"
            keyFile: "certs/client/tls.key"
            certFile: "certs/client/tls.crt"
            useSystemCAPool: true
      authorization:
        ownerClaim: "https://plgd.dev/owner"
        deviceIDClaim: ""
        provider:
          name: "plgd.dps"
          authority: "https://auth.example.com"
          clientID: "test"
          clientSecretFile: "secrets/enrollmentgroups/clientsecret"
          scopes: []
          audience: ""
          http:
            maxIdleConns: 16
            maxConnsPerHost: 32
            maxIdleConnsPerHost: 16
            idleConnTimeout: 30s
            timeout: 10s
            tls:
              caPool: "secrets/public/rootca.crt"
              keyFile: "certs/client/tls.key"
              certFile: "certs/client/tls.crt"
              useSystemCAPool: true
)yaml";

// What charts/plgd-hub/templates/device-provisioning-service/config.yaml renders with
// cert-manager on (caPool as lists, certificates under /certs), the API enabled with mutual TLS,
// and one enrollment group in the `hubs:` form with the options the template can render.
inline constexpr std::string_view kPlgdChartYaml = R"yaml(
log:
  dumpBody: false
  level: info
  encoding: json
  stacktrace:
    enabled: false
    level: warn
  encoderConfig:
    timeEncoder: rfc3339nano
apis:
  coap:
    address: "0.0.0.0:15684"
    maxMessageSize: 262144
    protocols:
      - "tcp"
    messagePoolSize: 1000
    inactivityMonitor:
      timeout: 20s
    blockwiseTransfer:
      enabled: true
      blockSize: "1024"
    tls:
      caPool:
        - "certs/coap/ca.crt"
      keyFile: "certs/coap/tls.key"
      certFile: "certs/coap/tls.crt"
  http:
    enabled: true
    address: "0.0.0.0:9100"
    tls:
      caPool:
        - "certs/client/ca.crt"
      keyFile: "certs/client/tls.key"
      certFile: "certs/client/tls.crt"
      clientCertificateRequired: true
    authorization:
      ownerClaim: "https://plgd.dev/owner"
      # plgd's chart renders global.audience here and in the hubs' provider; dps refuses one
      # audience for both (a device's hub token would open the management API).
      audience: "https://dps.example.com"
      endpoints:
        - authority: "https://auth.example.com"
          http:
            maxIdleConns: 16
            maxConnsPerHost: 32
            maxIdleConnsPerHost: 16
            idleConnTimeout: 30s
            timeout: 10s
            tls:
              caPool:
                - "certs/client/ca.crt"
              keyFile: "certs/client/tls.key"
              certFile: "certs/client/tls.crt"
              useSystemCAPool: true
      tokenTrustVerification:
        cacheExpiration: 30s
clients:
  storage:
    cacheExpiration: 10m
    mongoDB:
      uri: "mongodb://mongodb-headless.plgd.svc.cluster.local:27017/?replicaSet=rs0"
      database: deviceProvisioningService
      maxPoolSize: 16
      maxConnIdleTime: 4m0s
      tls:
        caPool:
          - "certs/client/ca.crt"
        keyFile: "certs/client/tls.key"
        certFile: "certs/client/tls.crt"
        useSystemCAPool: false
      bulkWrite:
        timeout: "1m0s"
        throttleTime: "500ms"
        documentLimit: 1000
  openTelemetryCollector:
    grpc:
      enabled: false
      address: ""
      keepAlive:
        time: 10s
        timeout: 20s
        permitWithoutStream: true
      tls:
        caPool: "certs/coap/ca.crt"
        keyFile: "certs/coap/tls.key"
        certFile: "certs/coap/tls.crt"
        useSystemCAPool: false
enrollmentGroups:
  - id: "5db6ccde-05e1-480b-a522-c1591ad7dfd2"
    owner: "1"
    preSharedKeyFile: "secrets/enrollmentgroups/psk"
    name: "factory line 1"
    attestationMechanism:
      x509:
        certificateChain: "secrets/enrollmentgroups/certificatechain.crt"
        expiredCertificateEnabled: false
    hubs:
      - hubID: "d03a1bb4-0a77-428c-b78c-1c46efe6a38e"
        caPool: "certs/ca.crt"
        name: "hub one"
        coapGateway: "coaps+tcp://hub.example.com:5684"
        gateways:
          - "coaps+tcp://hub2.example.com:5684"
        certificateAuthority:
          grpc:
            address: "api.example.com:443"
            keepAlive:
              time: 10s
              timeout: 20s
              permitWithoutStream: true
            tls:
              caPool:
                - "certs/client/ca.crt"
              keyFile: "certs/client/tls.key"
              certFile: "certs/client/tls.crt"
              useSystemCAPool: true
        authorization:
          ownerClaim: "https://plgd.dev/owner"
          deviceIDClaim: "https://plgd.dev/deviceId"
          provider:
            name: "plgd.dps"
            authority: "https://auth.example.com"
            clientID: "test"
            clientSecretFile: "secrets/enrollmentgroups/clientsecret"
            scopes:
              - "openid"
            audience: "https://api.example.com"
            http:
              maxIdleConns: 16
              maxConnsPerHost: 32
              maxIdleConnsPerHost: 16
              idleConnTimeout: 30s
              timeout: 10s
              tls:
                caPool:
                  - "certs/client/ca.crt"
                keyFile: "certs/client/tls.key"
                certFile: "certs/client/tls.crt"
                useSystemCAPool: true
)yaml";

// The keys of plgd's config.go (pkg/net/coap/service, certManager, the older authorization form)
// that neither file above sets.
inline constexpr std::string_view kPlgdGoOnlyYaml = R"yaml(
apis:
  coap:
    address: "0.0.0.0:15684"
    messageQueueSize: 16
    keepAlive:
      timeout: 45s
    tls:
      enabled: true
      clientCertificateRequired: true
      disconnectOnExpiredCertificate: true
      caPool: "certs/coap/ca.crt"
      crl:
        enabled: false
        http:
          timeout: 10s
  http:
    enabled: false
    tls:
      crl:
        enabled: false
        http:
          timeout: 10s
    authorization:
      ownerClaim: sub
      authority: "https://old.example.com"
      audience: "https://api.example.com"
      http:
        timeout: 10s
clients:
  storage:
    use: sqlite
enrollmentGroups:
  - id: "5db6ccde-05e1-480b-a522-c1591ad7dfd2"
    owner: "1"
    attestationMechanism:
      x509:
        certificateChain: "secrets/enrollmentgroups/certificatechain.crt"
        leadCertificateName: "Manufacturer Intermediate"
    hubs:
      - id: "d03a1bb4-0a77-428c-b78c-1c46efe6a38e"
        name: "hub one"
        gateways:
          - "coaps+tcp://hub.example.com:5684"
        authorization:
          ownerClaim: "https://plgd.dev/owner"
)yaml";

}  // namespace dps::config::testing
