import ElevateCrypto
import Testing

@Suite("CryptoError")
struct CryptoErrorTests {
    @Test("messages are lowercase and quote the offending value")
    func messages() {
        #expect(
            CryptoError.invalidKeyLength(expected: 32, actual: 7).description
                == "invalid key length '7': expected 32 bytes")
        #expect(CryptoError.invalidByteCount(-3).description == "invalid byte count '-3': must not be negative")
        #expect(CryptoError.authenticationFailed.description.hasPrefix("authentication failed"))
        #expect(CryptoError.libraryUnavailable(detail: "x").description.hasPrefix("libcrypto (OpenSSL 3) is unavailable: x"))
        #expect(
            CryptoError.openSSL(operation: "EVP_MAC_init", detail: "x").description
                == "openssl call 'EVP_MAC_init' failed: x")
    }
}
