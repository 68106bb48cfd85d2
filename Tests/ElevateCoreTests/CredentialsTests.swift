import ElevateCore
import Foundation
import Testing

@Suite("Credentials and timestamps")
struct CredentialsTests {
    @Test("key ids are masked to their last four characters")
    func masking() {
        #expect(maskAccessKeyId("AKIAIOSFODNN7EXAMPLE") == "****MPLE")
        #expect(maskAccessKeyId("ab") == "****ab")
    }

    @Test("the description never contains the secret, the token or the whole key id")
    func descriptionHidesSecrets() {
        let credentials = Credentials(
            accessKeyId: "ASIAXXXXXXXXXXXX1234",
            secretAccessKey: "very-secret-value",
            sessionToken: "token-value",
            expiration: Date(timeIntervalSince1970: 1_800_000_000)
        )
        let text = credentials.description
        #expect(!text.contains("very-secret-value"))
        #expect(!text.contains("token-value"))
        #expect(!text.contains("ASIAXXXXXXXXXXXX1234"))
        #expect(text.contains("****1234"))
    }

    @Test("timestamps are written as YYYY-MM-DDTHH:MM:SSZ in UTC")
    func format() {
        #expect(Timestamp.format(Date(timeIntervalSince1970: 1_800_000_000.75)) == "2027-01-15T08:00:00Z")
    }

    @Test("timestamps read back to the whole second, and match Foundation's ISO 8601 format", arguments: [
        0.0, -1, 951_782_400, 951_868_799.999, 1_709_164_800, 4_102_444_799, 253_402_300_799, -2_208_988_800,
    ] + (0..<200).map { _ in Double.random(in: -2_208_988_800...253_402_300_799) })
    func formatMatchesFoundation(seconds: Double) {
        let date = Date(timeIntervalSince1970: seconds)
        let text = Timestamp.format(date)
        #expect(text == date.formatted(Date.ISO8601FormatStyle(timeZone: .gmt)))
        #expect(Timestamp.parse(text)?.timeIntervalSince1970 == seconds.rounded(.down))
    }

    @Test("RFC 3339 timestamps parse with fractions and offsets", arguments: [
        ("2027-01-15T08:00:00Z", 1_800_000_000.0),
        ("2027-01-15T08:00:00.000Z", 1_800_000_000.0),
        ("2027-01-15T10:00:00+02:00", 1_800_000_000.0),
        (" 2027-01-15T08:00:00Z ", 1_800_000_000.0),
        ("2027-01-15t08:00:00z", 1_800_000_000.0),
        ("2027-01-15 08:00:00Z", 1_800_000_000.0),
        ("2027-01-15T08:00:00.5Z", 1_800_000_000.5),
        ("2027-01-15T03:00:00-05:00", 1_800_000_000.0),
        ("2024-02-29T00:00:00Z", 1_709_164_800.0),
    ])
    func parse(text: String, seconds: Double) {
        #expect(Timestamp.parse(text)?.timeIntervalSince1970 == seconds)
    }

    @Test("garbage and near-RFC 3339 text is not a timestamp", arguments: [
        "", "tomorrow", "2027-13-40T99:00:00Z", "1800000000", "2027-01-15T08:00:00Zjunk", "2027-02-30T08:00:00Z",
        "2023-02-29T00:00:00Z", "2027-01-15T08:00:00", "2027-01-15T08:00Z", "20270115T080000Z", "99999-01-15T08:00:00Z",
        "2027-01-15T08:00:00+0000", "2027-01-15T08:00:00.Z", "2027-01-15T24:00:00Z", "2027-01-15T08:00:00+24:00",
        "２０２７-01-15T08:00:00Z", "2027-01-15T08:00:00Z\u{301}",
    ])
    func parseGarbage(text: String) {
        #expect(Timestamp.parse(text) == nil)
    }

    @Test("regression: a value quoted in a message is cut by Unicode scalars, however few Characters it has")
    func quotedForMessageCountsScalars() {
        // Cutting counted Characters: a base letter and 20000 combining marks is one, and filled the line.
        let flood = "x" + String(repeating: "\u{301}", count: 20_000)
        #expect(quotedForMessage(flood, limit: 120) == "'x" + String(repeating: "\u{301}", count: 116) + "...'")
        let fits = String(repeating: "a", count: 120)
        #expect(quotedForMessage(fits, limit: 120) == "'" + fits + "'")
        #expect(quotedForMessage(fits + "b", limit: 120) == "'" + fits.dropLast(3) + "...'")
        #expect(quotedForMessage("a\nb", limit: 120) == "'a?b'")
        #expect(quotedForMessage("", limit: 120) == "''")
    }

    @Test("single-line messages replace control characters")
    func singleLineMessages() {
        #expect(singleLine("a\nb\rc\u{1b}[31m") == "a?b?c?[31m")
    }
}
