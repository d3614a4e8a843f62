// Workaround until the source generator qualifies request types in ImvGeneratedModule: its factory
// switch writes `new Req_...()` unqualified while the request classes live in Imv.Generated.Proxies.
// Remove this file once Runtime.CodeGen/InterfaceEmitter.cs emits global::Imv.Generated.Proxies.Req_...
global using Imv.Generated.Proxies;
