import SealEngine
import Testing

/// `HeaderEdit.apply`: the header section as the MTA leaves it after the edits
/// (Postfix's cleanup, Sendmail 8.13+): add appends, change/delete count the fields
/// the filter saw, insert counts from the top of the MTA's section, whose first
/// field is the MTA's own Received (not passed to filters).
@Suite struct HeaderEditTests {
    static let seen: [(name: String, value: String)] = [("From", "a@x"), ("Authentication-Results", "forged"), ("Subject", "s"),
                                                         ("Authentication-Results", "other")]

    static func render(_ fields: [(name: String, value: String)]) -> [String] { fields.map { "\($0.name): \($0.value)" } }
    static func insert(_ name: String, _ value: String, at i: Int) -> HeaderEdit {
        HeaderEdit(operation: .insert, name: name, value: value, index: i)
    }

    @Test func insertAtTopGoesAboveEveryFieldThatArrived() {
        let out = HeaderEdit.apply([Self.insert("Authentication-Results", "ours", at: HeaderEdit.topIndex)], to: Self.seen)
        #expect(Self.render(out) == ["Authentication-Results: ours", "From: a@x", "Authentication-Results: forged", "Subject: s",
                                     "Authentication-Results: other"])
    }

    @Test func insertPositionsCountTheMTAsOwnReceived() {
        let mta = (name: "Received", value: "by mx (Postfix)")
        // 0: above the MTA's Received; 1: just below it; 3: before the third field of the MTA's section.
        #expect(Self.render(HeaderEdit.apply([Self.insert("X", "0", at: 0)], to: Self.seen, mtaReceived: mta)).prefix(3)
                == ["X: 0", "Received: by mx (Postfix)", "From: a@x"])
        #expect(Self.render(HeaderEdit.apply([Self.insert("X", "1", at: 1)], to: Self.seen, mtaReceived: mta)).prefix(3)
                == ["Received: by mx (Postfix)", "X: 1", "From: a@x"])
        #expect(Self.render(HeaderEdit.apply([Self.insert("X", "3", at: 3)], to: Self.seen, mtaReceived: mta))
                == ["Received: by mx (Postfix)", "From: a@x", "Authentication-Results: forged", "X: 3", "Subject: s",
                    "Authentication-Results: other"])
        // Without the MTA's field, 0 and 1 both land above the fields the filter saw.
        #expect(HeaderEdit.apply([Self.insert("X", "0", at: 0)], to: Self.seen).first?.name == "X")
        #expect(HeaderEdit.apply([Self.insert("X", "3", at: 3)], to: Self.seen).map(\.name)
                == ["From", "Authentication-Results", "X", "Subject", "Authentication-Results"])
    }

    @Test func insertPastTheEndAppendsAndANegativeIndexIsTheTop() {
        let past = HeaderEdit.apply([Self.insert("X", "far", at: 99)], to: Self.seen)
        #expect(Self.render(past).last == "X: far" && past.count == Self.seen.count + 1)
        let exactEnd = HeaderEdit.apply([Self.insert("X", "end", at: Self.seen.count + 1)], to: Self.seen)
        #expect(Self.render(exactEnd).last == "X: end")
        #expect(Self.render(HeaderEdit.apply([Self.insert("X", "neg", at: -5)], to: Self.seen)).first == "X: neg")
    }

    @Test func successiveInsertsAtTheSamePlaceStackTheLastOnTop() {
        let same = HeaderEdit.apply([Self.insert("X", "first", at: 1), Self.insert("X", "second", at: 1)], to: Self.seen)
        #expect(Self.render(same).prefix(2) == ["X: second", "X: first"])
        let ordered = HeaderEdit.apply([Self.insert("X", "first", at: 1), Self.insert("X", "second", at: 2)], to: Self.seen)
        #expect(Self.render(ordered).prefix(3) == ["X: first", "X: second", "From: a@x"])
    }

    @Test func changeAndDeleteSkipTheMTAsReceived() {
        let seen: [(name: String, value: String)] = [("Received", "from outside"), ("Subject", "s")]
        let mta = (name: "Received", value: "by mx")
        let out = HeaderEdit.apply([HeaderEdit(operation: .delete, name: "received", value: nil, index: 1)], to: seen, mtaReceived: mta)
        #expect(Self.render(out) == ["Received: by mx", "Subject: s"])
        let changed = HeaderEdit.apply([HeaderEdit(operation: .change, name: "Received", value: "new", index: 1)], to: seen, mtaReceived: mta)
        #expect(Self.render(changed) == ["Received: by mx", "Received: new", "Subject: s"])
    }

    @Test func theEnginesOrderDeleteTheForgedThenInsertKeepsOurs() {
        // The engine emits the delete of a forged result (index among the fields as
        // received) before its insert: the forged one goes, ours stays on top.
        let edits = [HeaderEdit(operation: .delete, name: "Authentication-Results", value: nil, index: 1),
                     Self.insert("Authentication-Results", "ours", at: HeaderEdit.topIndex)]
        #expect(Self.render(HeaderEdit.apply(edits, to: Self.seen))
                == ["Authentication-Results: ours", "From: a@x", "Subject: s", "Authentication-Results: other"])
        // The other order would delete our own (it is then the first of that name):
        // why inserts come last.
        #expect(Self.render(HeaderEdit.apply(edits.reversed(), to: Self.seen)).first == "From: a@x")
    }

    @Test func addAppendsAndChangeOfAMissingFieldDoesNothing() {
        let out = HeaderEdit.apply([HeaderEdit(operation: .add, name: "X-Add", value: "v", index: 0),
                                    HeaderEdit(operation: .change, name: "X-None", value: "v", index: 1),
                                    HeaderEdit(operation: .delete, name: "Subject", value: nil, index: 2)], to: Self.seen)
        #expect(Self.render(out) == Self.render(Self.seen) + ["X-Add: v"])
    }

    @Test func summariesNameTheTop() {
        #expect(Self.insert("Authentication-Results", "mx; smime=pass", at: 1).summary == "insert at top Authentication-Results: mx; smime=pass")
        #expect(Self.insert("X", "v", at: 4).summary == "insert at 4 X: v")
        #expect(HeaderEdit(operation: .add, name: "X", value: "v", index: 0).summary == "add X: v")
        #expect(HeaderEdit(operation: .delete, name: "X", value: nil, index: 2).summary == "delete X[2]")
    }
}
