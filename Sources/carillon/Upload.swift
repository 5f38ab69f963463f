import CarillonControl
import CarillonProtocol
import Foundation

/// Sends bytes to the daemon in the chunks it asks for, through an upload command and its chunk
/// command (`library.upload`/`library.chunk`, `bundle.upload`/`bundle.chunk`).
/// - Returns: the upload's id, for the command that consumes it.
func upload(
    _ data: Data, name: String, open: CommandName, chunk: CommandName, control: ControlConnection, showProgress: Bool = true
) async throws -> String {
    let upload = try await control.call(open, UploadArgs(name: name, size: data.count), returning: UploadInfo.self)
    let progress = showProgress ? Progress(Message.uploading(name).text, total: data.count) : nil
    var offset = 0
    while offset < data.count {
        let end = min(data.count, offset + upload.chunkBytes)
        let bytes = data[(data.startIndex + offset)..<(data.startIndex + end)].base64EncodedString()
        _ = try await control.call(chunk, ChunkArgs(upload: upload.upload, offset: offset, data: bytes), returning: ChunkResult.self)
        offset = end
        progress?.update(offset)
    }
    progress?.finish()
    return upload.upload
}
