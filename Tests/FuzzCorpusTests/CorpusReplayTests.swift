import Foundation
import FuzzTargets
import Testing

/// Every committed fuzz input (Tests/Fuzz/Corpus/TARGET: seeds, and each input that ever failed) replayed in the
/// ordinary test build; `make fuzz` replays them again under AddressSanitizer and then fuzzes from them.
@Suite("fuzz corpus")
struct CorpusReplayTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Fuzz/Corpus").standardizedFileURL

    @Test("every committed input keeps its target's properties", arguments: FuzzTarget.allCases)
    func replay(target: FuzzTarget) throws {
        let folder = Self.corpus.appendingPathComponent(target.rawValue)
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(!names.isEmpty, "no corpus for \(target.rawValue)")
        for name in names {
            target.run(Array(try Data(contentsOf: folder.appendingPathComponent(name))))
        }
    }
}
