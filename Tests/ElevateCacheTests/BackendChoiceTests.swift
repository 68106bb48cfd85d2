import ElevateCache
import Testing

/// One function chooses the backends, for a run and for `cache list` / `cache clear`.
@Suite("choosing the cache backends")
struct BackendChoiceTests {
    func settings(_ mode: CacheMode, home: Bool = true) -> CacheSettings {
        CacheSettings(
            mode: mode, directory: home ? "/c/aws-elevate" : nil, keyPath: home ? "/k/cache.key" : nil)
    }

    func names(_ choice: CacheBackendChoice) -> [String] { choice.backends.map(\.name) }

    @Test("a run: none caches nothing, file and keyring use theirs, auto both (files first)")
    func run() {
        let keyring = FakeKeyring()
        let expected: [(CacheMode, [String])] = [
            (.none, []), (.file, ["file"]), (.keyring, ["keyring"]), (.auto, ["file", "keyring"]),
        ]
        for (mode, backends) in expected {
            let (choice, leftOut) = CacheBackendChoice.choose(settings: settings(mode), for: .run) { keyring }
            #expect(names(choice) == backends, "\(mode)")
            #expect(leftOut.isEmpty)
        }
        guard case .auto(let file, _) = CacheBackendChoice.choose(settings: settings(.auto), for: .run, keyring: {
            keyring
        }).choice else {
            Issue.record("auto is files first, then the keyring")
            return
        }
        #expect(file.directory == "/c/aws-elevate" && file.keyPath == "/k/cache.key")
        #expect(keyring.calls.isEmpty, "choosing asks the keyring nothing")
    }

    @Test("list and clear see every backend that any mode may have stored in: none counts as auto")
    func maintenance() {
        let (choice, _) = CacheBackendChoice.choose(settings: settings(.none), for: .maintenance) { FakeKeyring() }
        #expect(names(choice) == ["file", "keyring"])
        #expect(names(CacheBackendChoice.choose(settings: settings(.file), for: .maintenance) { FakeKeyring() }.choice)
                == ["file"])
    }

    @Test("without a home directory the file backend is left out, saying why")
    func noHome() {
        for purpose in [CacheBackendChoice.Purpose.run, .maintenance] {
            let (auto, autoLeftOut) = CacheBackendChoice.choose(settings: settings(.auto, home: false), for: purpose) {
                FakeKeyring()
            }
            #expect(names(auto) == ["keyring"] && autoLeftOut == [.noHomeDirectory])
            let (file, fileLeftOut) = CacheBackendChoice.choose(settings: settings(.file, home: false), for: purpose) {
                FakeKeyring()
            }
            #expect(names(file).isEmpty && fileLeftOut == [.noHomeDirectory])
        }
        #expect(CacheBackendFailure.noHomeDirectory.description == "no home directory is known")
        #expect(CacheBackendFailure.noHomeDirectory.backend == "file")
    }

    @Test("available() asks the keyring and leaves it out with its reason when it cannot serve")
    func available() {
        let locked = FakeKeyring(available: .unavailable(reason: "the default collection is locked"))
        let (choice, _) = CacheBackendChoice.choose(settings: settings(.auto), for: .maintenance) { locked }
        let (backends, unavailable) = choice.available()
        #expect(backends.map(\.name) == ["file"])
        #expect(unavailable == [.keyringUnavailable(reason: "the default collection is locked")])
        #expect(unavailable.map(\.backend) == ["keyring"])
        #expect(locked.calls == ["availability"])
        let (served, none) = CacheBackendChoice.choose(settings: settings(.keyring), for: .maintenance) {
            FakeKeyring()
        }.choice.available()
        #expect(served.map(\.name) == ["keyring"] && none.isEmpty)
    }

    @Test("backend failures read as the warnings and debug lines always said")
    func failureTexts() {
        #expect(CacheBackendFailure.cannotCreate(directory: "/x").description == "cannot create '/x'")
        #expect(CacheBackendFailure.noKeyFile(path: "/k").description == "no key file '/k'")
        #expect(CacheBackendFailure.keyringCall(.lookup, message: "the keyring did not answer in time").description
                == "keyring lookup failed: the keyring did not answer in time")
        #expect(CacheBackendFailure.keyringCall(.store, message: "m").description == "keyring store failed: m")
        #expect(CacheBackendFailure.keyringUnavailable(reason: "no D-Bus session bus").description
                == "no D-Bus session bus")
    }
}
