// swift-tools-version:6.0
import Foundation
import PackageDescription

/// The `-I` flags of `pkg-config --cflags` for `packages`. Without them the manifest stops with a message: SwiftPM
/// caches a manifest's result but not its failure, so the next build after `make deps` finds the flags.
func pkgConfigIncludeFlags(_ packages: [String]) -> [String] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["pkg-config", "--cflags"] + packages
    let output = Pipe()
    process.standardOutput = output
    let problem = "pkg-config --cflags \(packages.joined(separator: " ")) failed: run make deps (pkg-config, "
        + "libsecret-1-dev, libglib2.0-dev)"
    guard (try? process.run()) != nil else { stop(problem) }
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { stop(problem) }
    return String(decoding: data, as: UTF8.self).split(whereSeparator: \.isWhitespace).map(String.init)
        .filter { $0.hasPrefix("-I") }
}

func stop(_ message: String) -> Never {
    FileHandle.standardError.write(Data("Package.swift: \(message)\n".utf8))
    exit(1)
}

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    // Async functions run on their caller's executor: the hot path then never starts the thread pool (FastPath.swift).
    .enableUpcomingFeature("NonisolatedNonsendingByDefault"),
]

let package = Package(
    name: "aws-elevate",
    products: [
        .executable(name: "aws-elevate", targets: ["aws-elevate"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // MARK: System libraries

        // The dlopen plumbing the four loaders below share (open, resolve, error text, /proc/self/maps); links nothing.
        .target(name: "CLazyLibrary", path: "Sources/CLazyLibrary"),

        // OpenSSL's libcrypto (hashing, HMAC, AES-GCM, random bytes), loaded with dlopen on first use like libcurl,
        // so that a run without cryptography never maps it. Needs only the headers of libssl-dev (make deps).
        .target(name: "CCrypto", dependencies: ["CLazyLibrary"], path: "Sources/CCrypto"),

        // libcurl, loaded with dlopen on first use so that a cache hit never maps it (needs only its headers).
        .target(name: "CCurl", dependencies: ["CLazyLibrary"], path: "Sources/CCurl"),
        // libxml2's reader API, loaded with dlopen on first use like libcurl.
        .target(name: "CXML2", dependencies: ["CLazyLibrary"], path: "Sources/CXML2"),

        // libsecret (Secret Service), loaded with dlopen on first use like libcurl. Its types and prototypes come from
        // the headers of libsecret-1-dev and libglib2.0-dev, which are not on the default include path: the flags
        // are pkg-config's, as a system-library target would pass them, but without its -l flags (nothing links
        // glib, gio or libsecret). A call that no longer matches a prototype is an error, not a warning.
        .target(
            name: "CSecret",
            dependencies: ["CLazyLibrary"],
            path: "Sources/CSecret",
            cSettings: [
                .unsafeFlags(
                    pkgConfigIncludeFlags(["glib-2.0", "gio-2.0", "libsecret-1"]) + [
                        "-Werror=incompatible-pointer-types", "-Werror=incompatible-function-pointer-types",
                        "-Werror=int-conversion",
                    ])
            ]
        ),

        // The command line as the process entry received it, read without /proc.
        .target(name: "CProcessEntry", path: "Sources/CProcessEntry"),
        // statfs's file system type, which Glibc's Swift module leaves out.
        .target(name: "CFileSystem", path: "Sources/CFileSystem"),
        // The commit the binary was built from, written by the Makefile as commit.h before a release build.
        .target(name: "CBuildInfo", path: "Sources/CBuildInfo"),

        // MARK: Core

        // Credentials, plugin protocols, the registry, plans and the failure protocol.
        .target(
            name: "ElevateCore",
            dependencies: [.product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        // Typed wrappers over the lazily loaded OpenSSL: SHA-256, HMAC, AES-256-GCM, random bytes.
        .target(
            name: "ElevateCrypto",
            dependencies: ["CCrypto"],
            swiftSettings: swiftSettings
        ),
        // AWS Signature Version 4 for query-API requests (STS), over ElevateCrypto.
        .target(
            name: "ElevateSigV4",
            dependencies: ["ElevateCrypto"],
            swiftSettings: swiftSettings
        ),
        // HTTP requests over the lazily loaded libcurl: timeouts, TLS, proxies, no redirects.
        .target(
            name: "ElevateHTTP",
            dependencies: ["CCurl"],
            swiftSettings: swiftSettings
        ),
        // A small XML document reader over the lazily loaded libxml2 (STS responses).
        .target(
            name: "ElevateXML",
            dependencies: ["CXML2"],
            swiftSettings: swiftSettings
        ),
        // STS over the Query API: AssumeRole and GetCallerIdentity, endpoints, retries, errors.
        .target(
            name: "ElevateSTS",
            dependencies: ["ElevateCore", "ElevateHTTP", "ElevateSigV4", "ElevateXML"],
            swiftSettings: swiftSettings
        ),
        // The Secret Service keyring through the lazily loaded libsecret, every call under a hard timeout.
        .target(
            name: "ElevateKeyring",
            dependencies: ["CSecret"],
            swiftSettings: swiftSettings
        ),
        // The session cache: one decorator around a plan, keyring and encrypted-file backends, single flight.
        .target(
            name: "ElevateCache",
            dependencies: ["ElevateCore", "ElevateCrypto", "ElevateKeyring"],
            swiftSettings: swiftSettings
        ),
        // Other programs run bounded in time and output, with their input on a pipe: credential_process, process
        // plugins.
        .target(
            name: "ElevateChildProcess",
            dependencies: ["ElevateCore"],
            swiftSettings: swiftSettings
        ),
        // Process plugins: executables named aws-elevate-plugin-NAME found on a search path, spoken to in a
        // versioned JSON protocol on standard input and output, as source and elevation plugins.
        .target(
            name: "ElevatePluginHost",
            dependencies: ["ElevateCore", "ElevateChildProcess"],
            swiftSettings: swiftSettings
        ),
        // ~/.aws/config and ~/.aws/credentials with botocore's meaning, and profile → plan resolution.
        .target(
            name: "ElevateConfig",
            dependencies: ["ElevateCore", "CFileSystem"],
            swiftSettings: swiftSettings
        ),

        // MARK: Built-in plugins

        // Source: AWS_ACCESS_KEY_ID and friends from the environment.
        .target(
            name: "EnvSource",
            dependencies: ["ElevateCore"],
            path: "plugins/env/Sources",
            swiftSettings: swiftSettings
        ),
        // Source: static keys from a profile.
        .target(
            name: "ProfileSource",
            dependencies: ["ElevateCore"],
            path: "plugins/profile/Sources",
            swiftSettings: swiftSettings
        ),

        // Source: the instance role from the EC2 instance metadata service (IMDSv2).
        .target(
            name: "IMDSSource",
            dependencies: ["ElevateCore", "ElevateHTTP"],
            path: "plugins/imds/Sources",
            swiftSettings: swiftSettings
        ),

        // Source: the container's role from the ECS or EKS Pod Identity credential endpoint.
        .target(
            name: "ECSSource",
            dependencies: ["ElevateCore", "ElevateHTTP"],
            path: "plugins/ecs/Sources",
            swiftSettings: swiftSettings
        ),

        // Source: IAM Identity Center role credentials for the token `aws sso login` cached.
        .target(
            name: "SSOSource",
            dependencies: ["ElevateCore", "ElevateCrypto", "ElevateHTTP", "ElevateSTS"],
            path: "plugins/sso/Sources",
            swiftSettings: swiftSettings
        ),

        // Source: another program's credential_process document.
        .target(
            name: "ProcessSource",
            dependencies: ["ElevateCore", "ElevateChildProcess"],
            path: "plugins/process/Sources",
            swiftSettings: swiftSettings
        ),

        // Source: sts:AssumeRoleWithWebIdentity with an OIDC token file.
        .target(
            name: "WebIdentitySource",
            dependencies: ["ElevateCore", "ElevateSTS"],
            path: "plugins/web-identity/Sources",
            swiftSettings: swiftSettings
        ),

        // Elevation: sts:AssumeRole with the previous step's credentials.
        .target(
            name: "AssumeRoleElevation",
            dependencies: ["ElevateCore", "ElevateSTS"],
            path: "plugins/assume-role/Sources",
            swiftSettings: swiftSettings
        ),

        // MARK: Commands

        // shell/aws-elevate.sh compiled in as bytes, for `aws-elevate shell-init` (no Bundle, nothing read at run time).
        .target(
            name: "ShellFunctions",
            path: "shell",
            sources: ["ShellFunctionsText.swift"],
            resources: [.embedInCode("aws-elevate.sh")],
            swiftSettings: swiftSettings
        ),

        // The command-line interface: one command per file, the pipeline composed in one place.
        .target(
            name: "ElevateCommands",
            dependencies: [
                "ElevateCore", "ElevateConfig", "EnvSource", "ProfileSource", "IMDSSource", "ECSSource", "SSOSource",
                "ProcessSource", "WebIdentitySource", "AssumeRoleElevation", "ElevatePluginHost", "ElevateSTS",
                "ElevateCache", "ElevateCrypto", "ElevateKeyring", "ShellFunctions", "CProcessEntry", "CBuildInfo",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The executable: its entry point only runs the root command.
        .executableTarget(
            name: "aws-elevate",
            dependencies: ["ElevateCommands"],
            swiftSettings: swiftSettings,
            // Release: lld with packed relative relocations (DT_RELR, glibc >= 2.36): the loader applies the
            // binary's ~39k relative relocations from 7 KB instead of 0.9 MB, ~0.3 ms of every start
            // (docs/benchmarks.md). gold, the default linker here, does not support the option.
            linkerSettings: [
                .unsafeFlags(
                    ["-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs"],
                    .when(configuration: .release))
            ]
        ),

        // MARK: Fuzzing

        // The parsers of hostile input as functions of bytes, each with the property it must keep (make fuzz).
        .target(
            name: "FuzzTargets",
            dependencies: [
                "ElevateCore", "ElevateConfig", "ElevateCache", "ElevateSTS", "ElevateHTTP", "ProcessSource", "IMDSSource",
                "ElevatePluginHost", "SSOSource", "ElevateCommands", .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/Fuzz/FuzzTargets",
            swiftSettings: swiftSettings
        ),
        // libFuzzer's entry point when built with -sanitize=fuzzer -DFUZZING; otherwise a corpus replayer.
        .executableTarget(
            name: "elevate-fuzz",
            dependencies: ["FuzzTargets"],
            path: "Tests/Fuzz/Runner",
            swiftSettings: swiftSettings
        ),

        // MARK: Tests

        // Helpers shared by the test targets.
        .target(name: "TestSupport", path: "Tests/TestSupport", swiftSettings: swiftSettings),

        .testTarget(
            name: "ElevateCoreTests",
            dependencies: ["ElevateCore", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ElevateCryptoTests",
            dependencies: ["ElevateCrypto", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "ElevateHTTPTests", dependencies: ["ElevateHTTP", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "ElevateXMLTests", dependencies: ["ElevateXML", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "ElevateSigV4Tests",
            dependencies: ["ElevateSigV4", "ElevateCrypto", "TestSupport"],
            exclude: ["Vectors"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ElevateConfigTests",
            dependencies: ["ElevateConfig", "ElevateCore", "ElevateCommands", "TestSupport"],
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ElevateCommandsTests",
            dependencies: [
                "ElevateCommands", "ElevateCore", "ElevateConfig", "ElevateCache", "EnvSource", "ProfileSource",
                "IMDSSource", "ProcessSource", "WebIdentitySource", "AssumeRoleElevation", "ElevatePluginHost",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EnvSourceTests",
            dependencies: ["EnvSource", "ElevateCore", .product(name: "Logging", package: "swift-log")],
            path: "plugins/env/Tests",
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "ElevateKeyringTests", dependencies: ["ElevateKeyring"], swiftSettings: swiftSettings),
        .testTarget(
            name: "ElevateCacheTests",
            dependencies: [
                "ElevateCache", "ElevateCore", "ElevateCrypto", "ElevateKeyring",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ElevateSTSTests",
            dependencies: ["ElevateSTS", "ElevateCore", "ElevateHTTP", "ElevateSigV4"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AssumeRoleElevationTests",
            dependencies: [
                "AssumeRoleElevation", "ElevateCore", "ElevateSTS", "ElevateHTTP",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
            ],
            path: "plugins/assume-role/Tests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "IMDSSourceTests",
            dependencies: [
                "IMDSSource", "ElevateCore", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
            ],
            path: "plugins/imds/Tests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ECSSourceTests",
            dependencies: [
                "ECSSource", "ElevateCore", "ElevateHTTP", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
            ],
            path: "plugins/ecs/Tests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SSOSourceTests",
            dependencies: [
                "SSOSource", "ElevateCore", "ElevateCrypto", "ElevateHTTP", "ElevateSTS",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
            ],
            path: "plugins/sso/Tests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ProcessSourceTests",
            dependencies: [
                "ProcessSource", "ElevateChildProcess", "ElevateCore", .product(name: "Logging", package: "swift-log"),
            ],
            path: "plugins/process/Tests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WebIdentitySourceTests",
            dependencies: [
                "WebIdentitySource", "ElevateCore", "ElevateSTS", "ElevateHTTP",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
            ],
            path: "plugins/web-identity/Tests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ElevatePluginHostTests",
            dependencies: [
                "ElevatePluginHost", "ElevateChildProcess", "ElevateCore",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "FuzzCorpusTests", dependencies: ["FuzzTargets"], swiftSettings: swiftSettings),
        .testTarget(
            name: "ProfileSourceTests",
            dependencies: ["ProfileSource", "ElevateCore"],
            path: "plugins/profile/Tests",
            swiftSettings: swiftSettings
        ),
    ]
)
