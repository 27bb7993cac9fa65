DROP TABLE document_blobs;
DROP TABLE documents;
