'use strict';
// A pthread of tfjs-backend-wasm's threaded build, for Node. The package ships the pthread worker only as
// a string (meant for a browser Blob URL), which Node's worker_threads cannot load; evaluate that string
// here. Escaping '\n' again is what the package does before making its Blob: the string holds '\n'
// escapes that must stay escapes inside the evaluated source.
const { wasmWorkerContents } = require('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js');

eval(wasmWorkerContents.replace(/\n/g, '\\n'));
