import ElevateCrypto
import Testing

@Suite("Lowercase hex")
struct HexTests {
    @Test("lowercaseHex encodes every byte value as two lowercase digits")
    func everyByte() {
        let all = (0...255).map { UInt8($0) }
        let encoded = lowercaseHex(all)
        #expect(encoded.utf8.count == 512)
        #expect(encoded.hasPrefix("000102030405060708090a0b0c0d0e0f10"))
        #expect(encoded.hasSuffix("f7f8f9fafbfcfdfeff"))
        #expect(encoded == encoded.lowercased())
        #expect(bytes(hex: encoded) == all)
    }

    @Test("lowercaseHex of no bytes is empty")
    func empty() {
        #expect(lowercaseHex([UInt8]()) == "")
    }

    @Test("lowercaseHex accepts any byte sequence")
    func slices() {
        let data: [UInt8] = [0xde, 0xad, 0xbe, 0xef]
        #expect(lowercaseHex(data[1...2]) == "adbe")
    }
}
