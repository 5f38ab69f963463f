import CarillonStore
import Foundation
import Testing

@Suite("City alert ids: a replay is recognised until the alert expires")
struct CityAlertStoreTests {
    @Test func anIdIsAdmittedOnceAndForgottenOnlyAfterItExpires() async throws {
        let store = try Store.inMemory()
        #expect(try await store.admitCityAlert(id: "alert-0001", expires: 2_000, heard: 1_000))
        #expect(try await !store.admitCityAlert(id: "alert-0001", expires: 2_000, heard: 1_500), "a replay")
        #expect(try await store.admitCityAlert(id: "alert-0002", expires: 9_000, heard: 1_600))
        // Heard after the first expired: its id is pruned (it could not sound anyway); the other stays.
        #expect(try await store.admitCityAlert(id: "alert-0003", expires: 9_000, heard: 2_001))
        #expect(try store.cityAlertIDs() == ["alert-0002", "alert-0003"])
        #expect(try await !store.admitCityAlert(id: "alert-0002", expires: 9_000, heard: 2_002))
    }

    @Test func idsSurviveReopeningTheDatabase() async throws {
        let path = NSTemporaryDirectory() + "carillon-city-\(UUID().uuidString).sqlite"
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        do {
            let store = try Store.open(path: path)
            #expect(try await store.admitCityAlert(id: "alert-0001", expires: 2_000, heard: 1_000))
        }
        let reopened = try Store.open(path: path)
        #expect(try await !reopened.admitCityAlert(id: "alert-0001", expires: 2_000, heard: 1_100))
    }
}
