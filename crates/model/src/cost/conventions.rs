/// The counting conventions, named in every export so figures can be compared elsewhere.
pub const CONVENTIONS: &[(&str, &str)] = &[
    (
        "flops",
        "torch.utils.flop_counter.FlopCounterMode: linear/matmul 2*M*N*K (bias not counted), \
         batched matmul 2*B*M*N*K, attention 4*B*H*S*S*Dh, convolution \
         2*N*prod(out)*prod(kernel)*Cout*Cin/groups; softmax, norms, activations, pooling, \
         residual adds and lookups count 0",
    ),
    ("macs", "executed FLOPs / 2"),
    (
        "flops_dense",
        "every weight on every token: MoE as if each token visited every expert, pruned weights \
         as if non-zero",
    ),
    (
        "flops_useful",
        "what the architecture needs: MoE at balanced load, min(k*T, E*C) routed tokens; pruned \
         linears 2*nnz per row",
    ),
    (
        "flops_executed",
        "what the kernels run: MoE experts over E*C capacity-padded slots; pruned dense kernel \
         as dense, CSR kernel 2*nnz*rows",
    ),
    (
        "train_flops",
        "forward + backward of one step as torch counts it: 3 x executed forward",
    ),
    (
        "params",
        "unique trainable tensors, buffers excluded: sum(p.numel() for p in m.parameters()); a \
         pruned weight counts in full",
    ),
    (
        "params_active",
        "per token: MoE = shared + router + k experts of each MoE layer; pruned = non-zero \
         weights; a convolutional network uses every weight on every image",
    ),
    (
        "moe_capacity",
        "C = ceil(k * T / E * capacity_factor) tokens per expert, T = batch * seq_len; tokens \
         over capacity are dropped and pass through the residual",
    ),
    (
        "mem_access_bytes",
        "weights read once plus activations read and written by each op, f32 = 4 bytes, CSR \
         indices 4 bytes; explicit attention writes the B*H*S*S scores and reads them back \
         (through softmax), fused attention reads Q, K, V and writes the context only",
    ),
    (
        "arithmetic_intensity",
        "executed FLOPs / memory access bytes",
    ),
    (
        "memory_estimate",
        "parameter bytes + the largest set of activations alive at once in a forward pass",
    ),
    (
        "decoders",
        "causal attention counted in full; grouped-query K and V are n_kv_heads * head_dim wide, \
         attention counts every query head; tied embeddings count the table once; RMSNorm d \
         parameters, LayerNorm 2d; SwiGLU three projections; rotary positions 0 parameters and \
         0 FLOPs",
    ),
    (
        "generation",
        "prefill: the layers over the prompt, the head at the last position; decode step: one \
         token per sequence attending to its context c (4*B*c*d attention FLOPs), the mean over \
         the steps; an MoE step runs the chosen experts only and reads E*(1-(1-k/E)^B) experts \
         per MoE layer (uniform routing); KV cache 2 * layers * batch * positions * n_kv_heads * \
         head_dim * 4 bytes",
    ),
    ("units", "decimal: 1 GFLOP = 1e9 FLOP, 1 MB = 1e6 bytes"),
];
