import Testing

// Replaced by the router acceptance tests.
@Suite struct RouterLabPlaceholderTests {
    @Test func placeholder() { #expect(Bool(true)) }
}
