import AampeContent
import AampeCore
import Testing

/// Stored attribute objects read into view values (`ContentPreview.parsedAttributes`): every JSON value
/// kind, escapes, what is not a JSON object, and the nesting limit at its edge.
@Suite("Reading stored attributes")
struct AttributesJSONTests {
    static func read(_ json: String) -> [String: ViewValue] { ContentPreview.parsedAttributes(json) }

    @Test("every JSON value kind, escapes and white space")
    func kinds() {
        let json = """
             { "name" : "Ana \\"A\\" \\\\ \\/ \\n\\t\\u00e9\\ud83d\\ude00" , "age":42,"score":-0.5,"big":1E3,
            "vip":true,"churned":false,"nickname":null,"tags":["a",1,[]],"address":{"city":"Porto","zip":"4000"},
            "empty":{} }
            """
        let read = Self.read(json)
        #expect(read["name"] == .text("Ana \"A\" \\ / \n\té😀"))
        #expect(read["age"] == .number(42))
        #expect(read["score"] == .number(-0.5))
        #expect(read["big"] == .number(1000))
        #expect(read["vip"] == .bool(true) && read["churned"] == .bool(false))
        #expect(read["nickname"] == .list([]), "null reads as an empty list, which normalization removes")
        #expect(read["tags"] == .list([.text("a"), .number(1), .list([])]))
        #expect(read["address"] == .object(["city": .text("Porto"), "zip": .text("4000")]))
        #expect(read["empty"] == .object([:]))
        #expect(read.count == 10)
        #expect(Self.read("{}").isEmpty)
        #expect(Self.read("{\"a\":\"\"}") == ["a": .text("")])
    }

    @Test(
        "anything that is not one JSON object reads as no attributes",
        arguments: [
            "", " ", "[1]", "\"text\"", "12", "null", "{", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{'a':1}",
            "{\"a\":01}", "{\"a\":1.}", "{\"a\":.5}", "{\"a\":+1}", "{\"a\":1e}", "{} x", "{\"a\":\"open}",
            "{\"a\":\"\\x\"}", "{\"a\":\"\\ud83d\"}", "{\"a\":\"\\udc00\"}", "{\"a\":\"tab\there\"}", "{\"a\":tru}",
            "{\"a\":[1 2]}", "{\"a\":1 \"b\":2}",
        ]
    )
    func notAnObject(json: String) {
        #expect(Self.read(json).isEmpty, "\(json)")
    }

    @Test("nesting at the limit is read; one level deeper reads as no attributes")
    func nestingLimit() {
        func nested(_ depth: Int) -> String {
            // The outer object is level 1; each array below it one more.
            "{\"a\":" + String(repeating: "[", count: depth - 1) + "1" + String(repeating: "]", count: depth - 1) + "}"
        }
        let limit = Limits.maximumAttributeNesting
        var value = ViewValue.number(1)
        for _ in 0..<(limit - 1) { value = .list([value]) }
        #expect(Self.read(nested(limit)) == ["a": value])
        #expect(Self.read(nested(limit + 1)).isEmpty)
    }
}
