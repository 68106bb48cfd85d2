#if canImport(Glibc)
import Glibc
#endif
import ElevateCore
import IMDSSource
import Logging
import Testing

/// A temporary directory standing in for `/etc` and `/sys`; removed with its files when released.
private final class IdentityDirectory {
    let path: String

    init() {
        var template = Array("/tmp/imds-identity.XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp failed")
        path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    deinit {
        for name in ["machine-id", "board_asset_tag", "uuid"] { unlink(path + "/" + name) }
        rmdir(path + "/board_asset_tag")
        rmdir(path)
    }

    /// The files of this directory, each written only when given.
    func files(machineId: String? = nil, assetTag: String? = nil, uuid: String? = nil) -> IdentityFiles {
        let files = IdentityFiles(
            machineId: path + "/machine-id", boardAssetTag: path + "/board_asset_tag", hypervisorUUID: path + "/uuid")
        let contents = [(files.machineId, machineId), (files.boardAssetTag, assetTag), (files.hypervisorUUID, uuid)]
        for (file, text) in contents {
            unlink(file)
            if let text { write(text, to: file) }
        }
        return files
    }

    func write(_ text: String, to file: String) {
        let fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        precondition(fd >= 0, "cannot create \(file)")
        _ = Array(text.utf8).withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        close(fd)
    }
}

@Suite("imds source cache identity")
struct IMDSCacheIdentityTests {
    let machineId = "3d1219c7c4c5404aaa1f6d2a48adfda4"

    func identity(
        _ environment: [String: String] = [:], values: [String: String] = [:], files: IdentityFiles
    ) throws -> [String: String]? {
        try IMDSSource(identityFiles: files).cacheIdentity(
            for: Step(plugin: "imds", profile: Profile(name: "p", values: values)),
            context: RunContext(environment: environment, logger: Logger(label: "test")))
    }

    @Test("the identity is the endpoint, the IMDSv1 policy and the machine id; each change makes another")
    func parts() throws {
        let directory = IdentityDirectory()
        let one = directory.files(machineId: machineId + "\n")
        let base = try identity(files: one)
        #expect(base == ["endpoint": "http://169.254.169.254", "v1": "not-allowed", "machine_id": machineId])
        #expect(try identity(["AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:1"], files: one) != base)
        #expect(try identity(values: ["elevate_imds_v1": "allow"], files: one) != base)
        let two = directory.files(machineId: "00000000000000000000000000000002\n")
        #expect(try identity(files: two) != base)
        #expect(!IMDSSource().readsLocally)
        #expect(IMDSSource().identityFiles == IdentityFiles(
            machineId: "/etc/machine-id", boardAssetTag: "/sys/devices/virtual/dmi/id/board_asset_tag",
            hypervisorUUID: "/sys/hypervisor/uuid"))
    }

    @Test("instances cloned with the same machine id differ by the instance id in the board asset tag (Nitro)")
    func nitroInstanceId() throws {
        let directory = IdentityDirectory()
        let one = try identity(files: directory.files(machineId: machineId, assetTag: "i-0123456789abcdef0\n"))
        #expect(one?["instance"] == "i-0123456789abcdef0" && one?["machine_id"] == machineId)
        let two = try identity(files: directory.files(machineId: machineId, assetTag: "i-0fedcba9876543210\n"))
        #expect(two?["instance"] == "i-0fedcba9876543210")
        #expect(one != nil && two != nil && one != two)
        let short = try identity(files: directory.files(machineId: machineId, assetTag: "i-1234abcd\n"))
        #expect(short?["instance"] == "i-1234abcd")
    }

    @Test("a board asset tag that is not an instance id is not used", arguments: [
        "Default string", "To Be Filled By O.E.M.", "i-0123456789ABCDEF0", "I-0123456789abcdef0", "i-123",
        "i-0123456789abcdef", "i-0123456789abcdef01", "i-0123456789abcdeg0", " i-0123456789abcdef0",
        "i-0123456789abcdef0\ni-0fedcba9876543210", "i-0123456789abcdef0\0", "i-1234abc\u{301}", "",
    ])
    func malformedAssetTag(tag: String) throws {
        let directory = IdentityDirectory()
        #expect(try identity(files: directory.files(machineId: machineId, assetTag: tag))
                == ["endpoint": "http://169.254.169.254", "v1": "not-allowed", "machine_id": machineId])
    }

    @Test("on Xen the hypervisor's domain UUID names the instance; the asset tag's instance id wins")
    func xenUUID() throws {
        let directory = IdentityDirectory()
        let uuid = "ec2e1916-9099-7caf-fd21-012345abcdef"
        let xen = try identity(files: directory.files(machineId: machineId, uuid: uuid + "\n"))
        #expect(xen?["instance"] == uuid && xen?["machine_id"] == machineId)
        let other = try identity(files: directory.files(machineId: machineId, uuid: "ec2a0000-0000-0000-0000-000000000001"))
        #expect(xen != nil && other != nil && xen != other)
        let both = try identity(files: directory.files(machineId: machineId, assetTag: "i-0123456789abcdef0", uuid: uuid))
        #expect(both?["instance"] == "i-0123456789abcdef0")
        let badTag = try identity(files: directory.files(machineId: machineId, assetTag: "Default string", uuid: uuid))
        #expect(badTag?["instance"] == uuid)
    }

    @Test("a hypervisor uuid file that does not hold a UUID is not used", arguments: [
        "ec2e1916-9099-7caf-fd21-012345abcde", "ec2e1916-9099-7caf-fd21-012345abcdefa",
        "ec2e19169099-7caf-fd21-012345abcdef-",
        "ec2e1916_9099_7caf_fd21_012345abcdef", "gc2e1916-9099-7caf-fd21-012345abcdef", "not a uuid", "",
    ])
    func malformedUUID(text: String) throws {
        let directory = IdentityDirectory()
        #expect(try identity(files: directory.files(machineId: machineId, uuid: text))?["instance"] == nil)
    }

    @Test("an instance identity without a machine id is enough; with neither, not cacheable")
    func instanceWithoutMachineId() throws {
        let directory = IdentityDirectory()
        #expect(try identity(files: directory.files(assetTag: "i-0123456789abcdef0"))
                == ["endpoint": "http://169.254.169.254", "v1": "not-allowed", "instance": "i-0123456789abcdef0"])
        #expect(try identity(files: directory.files()) == nil)
        #expect(try identity(files: directory.files(machineId: "\n", assetTag: "Default string")) == nil)
    }

    @Test("no machine id: not cacheable; invalid settings: an error, not a silent miss")
    func notCacheable() throws {
        let directory = IdentityDirectory()
        #expect(try identity(files: directory.files()) == nil)
        let files = directory.files(machineId: "abc\n", assetTag: "i-0123456789abcdef0")
        #expect(throws: IMDSSourceError.disabled(by: "AWS_EC2_METADATA_DISABLED")) {
            try identity(["AWS_EC2_METADATA_DISABLED": "true"], files: files)
        }
    }

    @Test("a FIFO, a directory or an oversized file in an identity file's place is not read")
    func notRegularFiles() async throws {
        let directory = IdentityDirectory()
        let files = directory.files(machineId: machineId)
        // A FIFO nobody writes to: a blocking open would wait until a writer comes, here after 3 s.
        #expect(mkfifo(files.boardAssetTag, 0o600) == 0)
        let path = files.boardAssetTag
        let writer = Task.detached {
            try await Task.sleep(for: .seconds(3))
            while !Task.isCancelled {
                let fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
                if fd >= 0 { close(fd); return }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        let started = ContinuousClock.now
        #expect(try identity(files: files)?["instance"] == nil)
        #expect(ContinuousClock.now - started < .seconds(2), "the FIFO was opened blocking")
        writer.cancel()
        unlink(files.boardAssetTag)
        #expect(mkdir(files.boardAssetTag, 0o700) == 0)
        #expect(try identity(files: files)?["instance"] == nil)
        rmdir(files.boardAssetTag)
        directory.write("i-0123456789abcdef0" + String(repeating: " ", count: 300), to: files.boardAssetTag)
        #expect(try identity(files: files)?["instance"] == nil)
        directory.write("i-0123456789abcdef0" + String(repeating: " ", count: 200), to: files.boardAssetTag)
        #expect(try identity(files: files)?["instance"] == "i-0123456789abcdef0")
    }
}
