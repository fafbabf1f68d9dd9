// swift-tools-version:6.3
import PackageDescription

/// Where the compiler writes the C header it generates for the export target; the ABI test
/// compiles the hand-written `dirtyring.h` against it.
let generatedHeader = "\(Context.packageDirectory)/.build/dirtyring-generated.h"
let versionScript = "\(Context.packageDirectory)/Sources/DirtyRingExport/dirtyring.map"

let package = Package(
    name: "nova-dirtyring",
    products: [
        .library(name: "dirtyring", type: .dynamic, targets: ["DirtyRingExport"]),
        .executable(name: "dirtyring-cli", targets: ["DirtyRingCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // C system libraries.
        .systemLibrary(
            name: "CLibvirt",
            pkgConfig: "libvirt",
            providers: [.apt(["libvirt-dev"])]
        ),
        .systemLibrary(
            name: "CRabbitMQ",
            pkgConfig: "librabbitmq",
            providers: [.apt(["librabbitmq-dev"])]
        ),

        // Typed Swift wrappers that hide the C types.
        .target(name: "LibvirtClient", dependencies: ["CLibvirt"]),
        .target(name: "HostKVM"),
        .target(name: "AMQPClient", dependencies: ["CRabbitMQ", "DirtyRingCore"]),
        // QEMU child processes (posix_spawn, stop and reap) and a QMP client on a unix socket.
        .target(name: "QEMUProcess", dependencies: ["DirtyRingCore"]),

        // Pure logic: no C.
        .target(name: "DirtyRingCore"),

        // Threads and a condition lock on pthreads, for the services below.
        .target(name: "ThreadSupport"),

        // The host-facing service that the CLI and the C ABI share.
        .target(
            name: "DirtyRingHost",
            dependencies: ["DirtyRingCore", "LibvirtClient", "HostKVM", "ThreadSupport", "QEMUProcess"]),

        // Publishes notifications to RabbitMQ: enqueue at once, a background publisher, the spool.
        .target(name: "NotificationPublisher", dependencies: ["DirtyRingCore", "AMQPClient", "ThreadSupport"]),

        // The C ABI: thin `@c` functions, a hand-written header, a linker version script.
        .target(
            name: "DirtyRingExport",
            dependencies: ["DirtyRingCore", "DirtyRingHost", "NotificationPublisher"],
            exclude: ["dirtyring.h", "dirtyring.map"],
            swiftSettings: [.unsafeFlags(["-emit-clang-header-path", generatedHeader])],
            linkerSettings: [.unsafeFlags(["-Xlinker", "--version-script=\(versionScript)"])]
        ),

        // The operator CLI.
        .executableTarget(
            name: "DirtyRingCLI",
            dependencies: [
                "DirtyRingCore", "DirtyRingHost", "LibvirtClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Shared by the test targets only: a seeded generator and repository paths.
        .target(name: "DirtyRingTestSupport", dependencies: ["DirtyRingCore"], path: "Tests/DirtyRingTestSupport"),
        .testTarget(name: "DirtyRingCoreTests", dependencies: ["DirtyRingCore", "DirtyRingTestSupport"]),
        .testTarget(
            name: "DirtyRingHostTests",
            dependencies: ["DirtyRingHost", "HostKVM", "LibvirtClient", "QEMUProcess", "DirtyRingTestSupport"]),
        .testTarget(
            name: "DirtyRingExportTests", dependencies: ["DirtyRingExport", "DirtyRingCore", "DirtyRingTestSupport"]),
        .testTarget(
            name: "NotificationPublisherTests",
            dependencies: ["NotificationPublisher", "AMQPClient", "DirtyRingCore", "DirtyRingTestSupport"],
            exclude: ["oslo_listener.py"]
        ),
    ]
)
